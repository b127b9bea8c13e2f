#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make lint: checkpatch --strict on the driver's sources and a sparse (C=2), W=1 build against the
# host's kernel headers.  checkpatch comes from Debian's linux-source tarball, extracted (three
# files, by name) into the cache.  Prints one TAP line per check; exits non-zero if any fails.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${NTSYNC_CACHE:-/var/cache/ntsync}
OUT=${NTSYNC_OUT:-$REPO/build/vm}/lint
SOURCES=(ntsync.c ntsync.h ntsync_test.c ntsync_compat.h include/uapi/linux/ntsync.h)

need=()
command -v sparse >/dev/null || need+=(sparse)
ls /usr/src/linux-source-*.tar.xz >/dev/null 2>&1 || need+=(linux-source)
[ -d "/lib/modules/$(ls /usr/src | sed -n 's/^linux-headers-\(.*-amd64\)$/\1/p' | sort -V | tail -n 1)/build" ] ||
	need+=(linux-headers-amd64)
if [ ${#need[@]} -gt 0 ]; then
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# checkpatch.pl and the two data files it reads, from the newest source tarball.
tarball=$(ls /usr/src/linux-source-*.tar.xz | sort -V | tail -n 1)
cp_dir=$CACHE/checkpatch/$(basename "$tarball" .tar.xz)
if [ ! -f "$cp_dir/.complete" ]; then
	rm -rf "$cp_dir"
	mkdir -p "$cp_dir"
	top=$(basename "$tarball" .tar.xz)
	tar -xJf "$tarball" -C "$cp_dir" --strip-components=1 "$top/scripts/checkpatch.pl" \
		"$top/scripts/spelling.txt" "$top/scripts/const_structs.checkpatch"
	touch "$cp_dir/.complete"
fi

n=0 failed=0
check() {	# check DESCRIPTION LOG: the log is empty when the check passed
	n=$((n + 1))
	if [ -s "$2" ]; then
		failed=$((failed + 1))
		echo "not ok $n - $1"
		sed 's/^/#   /' "$2"
	else
		echo "ok $n - $1"
	fi
}

mkdir -p "$OUT"
for f in "${SOURCES[@]}"; do
	# Version checks are the compat header's purpose (see DEVELOPERS' rules).
	ignore=()
	[ "$f" = ntsync_compat.h ] && ignore=(--ignore LINUX_VERSION_CODE)
	perl "$cp_dir/scripts/checkpatch.pl" --strict --no-tree --quiet "${ignore[@]}" \
		-f "$REPO/$f" >"$OUT/checkpatch.log" 2>&1 || true
	check "checkpatch --strict: $f" "$OUT/checkpatch.log"
done

# sparse and W=1 against the host's headers, in a scratch copy, with and without KUnit.
abi=$(ls /usr/src | sed -n 's/^linux-headers-\(.*-amd64\)$/\1/p' | sort -V | tail -n 1)
for variant in module kunit; do
	rm -rf "$OUT/$variant"
	mkdir -p "$OUT/$variant"
	cp -a "$REPO"/{Kbuild,include} "$REPO"/*.[ch] "$OUT/$variant/"
	# Headers without KUnit: compile the KUnit suite anyway, without linking it.
	target=modules
	if [ $variant = kunit ]; then
		echo 'ccflags-y += -DCONFIG_KUNIT=1' >>"$OUT/$variant/Kbuild"
		target=ntsync.o
	fi
	make -C "/lib/modules/$abi/build" M="$OUT/$variant" W=1 C=2 $target >"$OUT/$variant.log" 2>&1 ||
		echo "build failed" >>"$OUT/$variant.log"
	grep -iE 'warning|error|build failed' "$OUT/$variant.log" >"$OUT/$variant.bad" || true
	check "sparse (C=2) and W=1 build, $variant, $abi" "$OUT/$variant.bad"
done

echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
