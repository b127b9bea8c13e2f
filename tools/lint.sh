#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make lint: checkpatch --strict on the driver's sources, twice: with the checkpatch of the newest
# linux-source Debian has (sid's, downloaded in the lanes' sid chroot) and with the host's
# (bookworm, 6.1); then sparse (C=2) and W=1 builds against the host's kernel headers, of the
# module users get, of the NTSYNC_DEBUG=1 build and of the NTSYNC_COMPAT_FORCE=1 build (every
# fallback of ntsync_compat.h compiled).  checkpatch.pl and its two data files are extracted by
# name from each tarball into the cache.  Prints one TAP line per check; exits non-zero if any
# fails.
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/vm/lib.sh"
OUT=${NTSYNC_OUT:-$REPO/build/vm}/lint
SOURCES=(ntsync.c ntsync.h ntsync_trace.h ntsync_test.c ntsync_compat.h include/uapi/linux/ntsync.h)

mkdir -p "$OUT" "$CACHE"
LOG=$OUT/setup.log
: >"$LOG"
{ true >&4; } 2>/dev/null || exec 4>&2	# say() writes to fd 4
install_missing sparse linux-source linux-headers-amd64 debootstrap

# checkpatch_dir TARBALL-STREAM-COMMAND...: the directory holding checkpatch.pl and its data
# files from the linux-source tarball that the command writes to stdout, cached by $name.
checkpatch_dir() {
	local name=$1 dir=$CACHE/checkpatch/$1
	shift
	if [ ! -f "$dir/.complete" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		"$@" | tar -xJ -C "$dir" --strip-components=1 "$name/scripts/checkpatch.pl" \
			"$name/scripts/spelling.txt" "$name/scripts/const_structs.checkpatch"
		touch "$dir/.complete"
	fi
	echo "$dir"
}

# The host's linux-source tarball (bookworm: 6.1).
host_source() {
	local tarball
	tarball=$(printf '%s\n' /usr/src/linux-source-*.tar.xz | sort -V | tail -n 1)
	checkpatch_dir "$(basename "$tarball" .tar.xz)" cat "$tarball"
}

# sid's newest linux-source-X.Y package, downloaded in the sid chroot.
sid_source_stream() {
	local root=$1 pkg=$2 deb
	rm -f "$root"/tmp/"$pkg"_*.deb
	in_root "$root" env -C /tmp apt-get download -q "$pkg" >>"$LOG" 2>&1
	deb=$(printf '%s\n' "$root"/tmp/"$pkg"_*.deb)
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz"
	rm -f "$deb"
}
sid_source() {
	local root=$CACHE/chroots/sid pkg
	chroot_lock
	setup_chroot sid
	pkg=$(in_root "$root" apt-cache search --names-only '^linux-source-[0-9.]+$' |
		cut -d ' ' -f 1 | sort -V | tail -n 1)
	[ -n "$pkg" ] || die "sid has no linux-source-X.Y package"
	checkpatch_dir "$pkg" sid_source_stream "$root" "$pkg"
}

# check DESCRIPTION LOG: a result; the log is empty when the check passed.
check() { if [ -s "$2" ]; then result fail "$1" "$(cat "$2")"; else result ok "$1"; fi; }

newest=$(sid_source)
oldest=$(host_source)
for cp_dir in "$newest" "$oldest"; do
	version=$(basename "$cp_dir")
	for f in "${SOURCES[@]}"; do
		# Version checks are the compat header's purpose (see DEVELOPERS' rules).
		ignore=()
		[ "$f" = ntsync_compat.h ] && ignore=(--ignore LINUX_VERSION_CODE)
		perl "$cp_dir/scripts/checkpatch.pl" --strict --no-tree --quiet "${ignore[@]}" \
			-f "$REPO/$f" >"$OUT/checkpatch.log" 2>&1 || true
		check "checkpatch --strict (${version#linux-source-}): $f" "$OUT/checkpatch.log"
	done
done

# sparse and W=1 against the host's headers, in a scratch copy: the module as users get it, the
# NTSYNC_DEBUG=1 build (the wake-invariant check and the KUnit suite), and the
# NTSYNC_COMPAT_FORCE=1 build, which compiles every fallback of ntsync_compat.h in place of what
# the kernel has, so that none rots while the kernels at hand do not need it (6.1's headers are
# the ones against which every fallback can build).  The host's headers have no KUnit, so the
# debug build defines CONFIG_KUNIT to compile the suite, and stops at ntsync.o.
abi=$(printf '%s\n' /usr/src/linux-headers-*-amd64 | sed -n 's|^/usr/src/linux-headers-||p' |
	sort -V | tail -n 1)
for variant in module debug compat; do
	rm -rf "${OUT:?}/$variant"
	mkdir -p "$OUT/$variant"
	cp -a "$REPO"/{Kbuild,include} "$REPO"/*.[ch] "$OUT/$variant/"
	args=(modules)
	if [ $variant = debug ]; then
		echo 'ccflags-y += -DCONFIG_KUNIT=1' >>"$OUT/$variant/Kbuild"
		args=(NTSYNC_DEBUG=1 ntsync.o)
	fi
	what=$variant
	if [ $variant = compat ]; then
		args=(NTSYNC_COMPAT_FORCE=1 modules)
		what="every ntsync_compat.h fallback forced (NTSYNC_COMPAT_FORCE=1)"
	fi
	make -C "/lib/modules/$abi/build" M="$OUT/$variant" W=1 C=2 "${args[@]}" \
		>"$OUT/$variant.log" 2>&1 || echo "build failed" >>"$OUT/$variant.log"
	grep -iE 'warning|error|build failed' "$OUT/$variant.log" >"$OUT/$variant.bad" || true
	check "sparse (C=2) and W=1 build, $what, $abi" "$OUT/$variant.bad"
done

# The module users get holds no test code: no KUnit, no wake-invariant check.
strings "$OUT/module/ntsync.ko" | grep -E 'kunit|wake invariant' >"$OUT/module.test-code" || true
check "the module built without NTSYNC_DEBUG holds no KUnit or debug code" "$OUT/module.test-code"
: >"$OUT/debug.test-code"
strings "$OUT/debug/ntsync.o" | grep 'wake invariant' >/dev/null ||
	echo "the NTSYNC_DEBUG=1 build lacks the wake-invariant check" >>"$OUT/debug.test-code"
strings "$OUT/debug/ntsync.o" | grep kunit >/dev/null ||
	echo "the NTSYNC_DEBUG=1 build lacks the KUnit suite" >>"$OUT/debug.test-code"
check "the NTSYNC_DEBUG=1 build holds the KUnit suite and the wake-invariant check" \
	"$OUT/debug.test-code"

# One version: what "make version" reads out of ntsync.h is what DKMS (dkms.conf) and
# debian/changelog say.
ver=$(make -s --no-print-directory -C "$REPO" version 2>&1) || ver="make version failed: $ver"
{
	dkms=$(bash -c '. "$1"; echo "$PACKAGE_VERSION"' sh "$REPO/dkms.conf" 2>&1)
	[ "$dkms" = "$ver" ] || echo "dkms.conf says '$dkms', make version '$ver'"
	deb=$(sed -n '1s/^ntsync (\([^)-]*\)\(-[^)]*\)\{0,1\}).*/\1/p' "$REPO/debian/changelog")
	[ "$deb" = "$ver" ] || echo "debian/changelog says '$deb', make version '$ver'"
} >"$OUT/version.bad"
check "one version: ntsync.h, dkms.conf and debian/changelog say $ver" "$OUT/version.bad"

tap_end
