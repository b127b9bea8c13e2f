#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make lint: checkpatch --strict on the driver's sources, twice: with the checkpatch of the newest
# linux-source Debian has (sid's, downloaded in the lanes' sid chroot) and with the host's
# (bookworm, 6.1); then sparse (C=2) and W=1 builds against the host's kernel headers, of the
# module users get, of the NTSYNC_DEBUG=1 build and of the NTSYNC_COMPAT_FORCE=1 build (every
# fallback of ntsync_compat.h compiled); then the module as DKMS and make install build it with
# the debug switches in MAKEFLAGS and the environment, which must not reach it.  checkpatch.pl and
# its two data files are extracted by name from each tarball into the cache.  Prints one TAP line
# per check; exits non-zero if any fails.
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

# The module users get, built the two ways users build it, with both switches handed in the way a
# user's make can pass them on unasked: in MAKEFLAGS (what "make NTSYNC_DEBUG=1 dkms-install" or an
# exported MAKEFLAGS gives every make below; Kbuild sees them as command-line variables) and in
# the environment.  DKMS: dkms.conf's MAKE[0] (which the .deb's DKMS runs too), read as DKMS reads
# it (the file sourced with kernel_source_dir and dkms_tree set) and run as DKMS runs it (bash, in
# the build directory).  make install: the top Makefile into a DESTDIR.  Each module must hold no
# debug-only code (the KUnit suite, the wake-invariant check) and every tracepoint.
leak=(MAKEFLAGS="NTSYNC_DEBUG=1 NTSYNC_NO_TRACE=1" NTSYNC_DEBUG=1 NTSYNC_NO_TRACE=1)
# user_module_bad NAME KO: why the module KO (built NAME) is not the one users must get; the build
# log is $OUT/NAME.log.
user_module_bad() {
	if [ ! -f "$2" ]; then
		echo "the $1 build made no module:"
		tail -n 20 "$OUT/$1.log"
		return
	fi
	strings "$2" | grep -E 'kunit|wake invariant' |
		sed "s/^/the $1 build holds debug-only code: /" || true
	grep -q ' __tracepoint_ntsync_wake$' < <(nm "$2") ||
		echo "the $1 build has no tracepoints (NTSYNC_NO_TRACE took effect)"
}
dkms_tree=$OUT/dkms-tree
rm -rf "$dkms_tree"
dkms_ver=$(make -s --no-print-directory -C "$REPO" version)
dkms_src=$dkms_tree/ntsync/$dkms_ver/build
mkdir -p "$dkms_src"
cp -a "$REPO"/{Kbuild,Makefile,dkms.conf,include} "$REPO"/*.[ch] "$dkms_src/"
dkms_make=$(kernel_source_dir=/lib/modules/$abi/build dkms_tree=$dkms_tree \
	bash -c '. "$1" && echo "${MAKE[0]}"' sh "$dkms_src/dkms.conf")
(cd "$dkms_src" && env "${leak[@]}" bash -c "$dkms_make") >"$OUT/dkms.log" 2>&1 || true
user_module_bad dkms "$dkms_src/ntsync.ko" >"$OUT/dkms.bad"
check "DKMS's build (dkms.conf's MAKE), NTSYNC_DEBUG=1 and NTSYNC_NO_TRACE=1 in MAKEFLAGS and the environment: no debug code, tracepoints kept" \
	"$OUT/dkms.bad"
rm -rf "$OUT/install-src" "$OUT/install-root"
mkdir -p "$OUT/install-src/tools" "$OUT/install-src/debian"
cp -a "$REPO"/{Kbuild,Makefile,include} "$REPO"/*.[ch] "$OUT/install-src/"
cp -a "$REPO"/tools/{install.sh,ntsync-top,ntsync-check} "$OUT/install-src/tools/"
cp -a "$REPO"/debian/ntsync-dkms.udev "$OUT/install-src/debian/"
env "${leak[@]}" make -C "$OUT/install-src" KVER="$abi" DESTDIR="$OUT/install-root" install \
	>"$OUT/install.log" 2>&1 || true
user_module_bad install "$OUT/install-root/lib/modules/$abi/updates/ntsync.ko" >"$OUT/install.bad"
check "make install's build, NTSYNC_DEBUG=1 and NTSYNC_NO_TRACE=1 in MAKEFLAGS and the environment: no debug code, tracepoints kept" \
	"$OUT/install.bad"

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
