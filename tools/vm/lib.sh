# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# Shared by every lane: host packages, chroots and the kernels of the lanes, module and test
# builds, initramfs and QEMU boots, the guests' report as TAP.  Sourced, never run.  Its settings
# (NTSYNC_CACHE, NTSYNC_OUT, NTSYNC_TIMEOUT, NTSYNC_REFRESH) are in Documentation/testing.rst.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VMDIR=$REPO/tools/vm
CACHE=${NTSYNC_CACHE:-/var/cache/ntsync}
OUT=${NTSYNC_OUT:-$REPO/build/vm}
TIMEOUT=${NTSYNC_TIMEOUT:-600}
LOG=$OUT/setup.log
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
shopt -s inherit_errexit   # set -e also inside $(...)

# shellcheck disable=SC2034  # (the lanes install these)
HOST_PKGS=(qemu-system-x86 busybox-static cpio kmod debootstrap make gcc gcc-multilib libc6-dev
	   xz-utils binutils linux-headers-amd64 linux-source)

say() { printf '# %s\n' "$*" >&4; }   # progress, to the terminal even from inside a step
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs a command with its output appended to $LOG; on failure shows the end of the log.
# Only for commands, not for functions: bash ignores set -e inside the left side of &&.
quiet() {
	printf '\n$ %s\n' "$*" >>"$LOG"
	"$@" >>"$LOG" 2>&1 && return 0
	local rc=$?
	printf 'command failed (%d): %s\n--- last lines of %s:\n' "$rc" "$*" "$LOG" >&2
	tail -n 40 "$LOG" >&2
	return "$rc"
}

# The kselftest suite's programs (tools/testing/selftests/drivers/ntsync, one per concern),
# 64-bit and 32-bit.  build_selftests checks that its Makefile builds exactly these.
SUITE_PROGS=(ntsync_objects ntsync_wait_args ntsync_waits ntsync_wakes ntsync_timeouts
	     ntsync_fdinfo ntsync_stress ntsync_crowd)
SUITES=("${SUITE_PROGS[@]}" "${SUITE_PROGS[@]/%/_32}")

# build_selftests: the suites from the scratch copy, static, in an emptied $OUT/bin.
build_selftests() {
	local h
	h=$(harness_dir)
	rm -rf "${OUT:?}/bin"
	mkdir -p "$OUT/bin"
	make -C "$OUT/src/tools/testing/selftests/drivers/ntsync" HARNESS_DIR="$h" OUTPUT="$OUT/bin"
	check_selftests "$OUT/bin"
}

# check_selftests DIR: DIR holds exactly the suites' programs, all static.
check_selftests() {
	local built
	built=$(find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort)
	[ "$built" = "$(printf '%s\n' "${SUITES[@]}" | sort)" ] ||
		die "the suite's Makefile built $(echo "$built" | xargs), SUITES says ${SUITES[*]}"
	static_bins "$1" "${SUITES[@]}"
}

# static_bins DIR NAME...: each DIR/NAME is a static binary (the guests have no libc).
static_bins() {
	local dir=$1 b
	shift
	for b; do
		! readelf -l "$dir/$b" | grep -q 'program interpreter' || die "$b is not a static binary"
	done
}

# --- TAP, as every lane reports ----------------------------------------------------------------

N=0 PASS=0 FAIL=0 REPORT_DONE=

# result ok|fail|skip DESCRIPTION [DETAILS]: one TAP line, details as indented comments.  A skip
# is a failure: every test must run.
result() {
	N=$((N + 1))
	case $1 in
	ok)   PASS=$((PASS + 1)); echo "ok $N - $2" ;;
	skip) FAIL=$((FAIL + 1)); echo "not ok $N - $2 (skipped: every test must run)" ;;
	*)    FAIL=$((FAIL + 1)); echo "not ok $N - $2" ;;
	esac
	[ -z "${3:-}" ] || printf '%s\n' "$3" | sed 's/^/#   /'
}

# step DESCRIPTION LOGFILE FUNCTION ARGS...: run FUNCTION under set -e in a subshell with its
# output in LOGFILE, report the outcome with the time it took (and whatever FUNCTION wrote to
# LOGFILE.note), leave the status in STEP_RC.  Never call it in a condition (if, ||, &&): bash
# would then ignore set -e inside it.
step() {
	local desc=$1 log=$2 t0=$SECONDS
	shift 2
	set +e
	( set -e; "$@" ) >"$log" 2>&1
	STEP_RC=$?
	set -e
	if [ $STEP_RC = 0 ]; then
		result ok "$desc$(cat "$log.note" 2>/dev/null) ($((SECONDS - t0)) s)"
	else
		result fail "$desc" "$(tail -n 30 "$log")"
	fi
	rm -f "$log.note"
}
failed() { [ "$STEP_RC" != 0 ]; }

# The end of a lane: the plan, "N passed, N failed" last; the status says whether all passed.  A
# lane ends with finish (not exit, after which shellcheck would take the functions only step runs
# for unreachable), or early with "failed && stop"; one that prints more at the end defines its
# own finish() and ends it with tap_end.
tap_end() {
	echo "# logs: $OUT"
	echo "1..$N"
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" = 0 ]
}
finish() { tap_end; }
stop() { finish; exit; }

# lane_start: the start of every lane (root, progress on fd 4, an empty $LOG).
lane_start() {
	[ "$(id -u)" = 0 ] || die "must run as root (apt-get, debootstrap, chroot, mount, mknod)"
	exec 4>&1
	mkdir -p "$CACHE" "$OUT"
	: >"$LOG"
}
# guest_lock: one guest at a time per cache (two emulated guests on a small machine would only
# slow each other into timeouts).  Held until the lane ends (or "exec 9>&-").
guest_lock() {
	exec 9>"$CACHE/lock"
	flock -n 9 || { say "waiting for the other run that holds $CACHE/lock"; flock 9; }
}
# chroot_lock: the chroots and kernels in the cache are made and updated by one run at a time.
# Taken before guest_lock, and once per process tree (make check runs lint.sh, which takes it).
chroot_lock() {
	[ "${NTSYNC_CHROOT_LOCKED:-}" != "$CACHE" ] || return 0
	exec 7>"$CACHE/chroot-lock"
	flock -n 7 || { say "waiting for the other run that holds $CACHE/chroot-lock"; flock 7; }
	export NTSYNC_CHROOT_LOCKED=$CACHE
}
setup_start() { lane_start; chroot_lock; guest_lock; }

# lane_begin PKG...: the TAP header, the host packages the lane needs, the scratch copy of the
# tree; a failure ends the lane.
lane_begin() {
	echo "TAP version 13"
	step "host packages" "$OUT/packages.log" install_missing "$@"
	if failed; then stop; fi
	step "scratch copy of the tree${NTSYNC_SRC:+ ($REPO)}" "$OUT/copy.log" copy_tree
	if failed; then stop; fi
}

# The host's apt, one lane at a time (.ci/run runs two).
host_apt() {
	mkdir -p "$CACHE"
	quiet flock "$CACHE/apt-lock" apt-get "$@"
}

APT_UPDATED=
apt_update() {
	[ -n "$APT_UPDATED" ] && return 0
	host_apt update
	APT_UPDATED=1
}

# missing_pkgs ROOT PKG...: MISSING, those of the packages that are not installed in ROOT (/ is
# the host).
missing_pkgs() {
	local root=$1 p
	shift
	MISSING=()
	for p; do
		in_root "$root" dpkg-query -W -f="\${Status}\n" "$p" 2>/dev/null | grep -q 'ok installed' ||
			MISSING+=("$p")
	done
}

# install_missing PKG...: the packages the host lacks, installed.
install_missing() {
	missing_pkgs / "$@"
	[ ${#MISSING[@]} = 0 ] && return 0
	say "installing: ${MISSING[*]}"
	apt_update
	host_apt install -y --no-install-recommends "${MISSING[@]}"
}

# The first Debian archive URI the host's apt uses (deb822 or one-line format): the first
# non-security one, or with "security" the security archive.
debian_mirror() {
	local m v=-v
	[ "${1:-}" != security ] || v=
	m=$({ cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '$1 == "URIs:" { print $2 }'
	      cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; break } }'
	    } | grep $v security | head -n 1) || true
	[ -n "$m" ] || die "no Debian ${1:-} archive found in the host's apt sources"
	echo "$m"
}

# Apt sources a lane's chroot has besides its base suite: the security archive of a stable
# suite, and for a lane SUITE-backports that backports suite (its kernel comes from there).
chroot_sources() {
	local lane=$1 base=${1%-backports}
	case $base in
	sid|unstable|experimental) ;;
	*) echo "deb $(debian_mirror security) $base-security main" ;;
	esac
	[ "$base" = "$lane" ] || echo "deb $(debian_mirror) $lane main"
}

# in_root ROOT CMD...: run CMD on the host (ROOT=/) or in the chroot ROOT, with /proc mounted in
# a private mount namespace so that nothing stays mounted afterwards.
in_root() {
	local root=$1
	shift
	if [ "$root" = / ]; then
		"$@"
		return
	fi
	unshare -m --mount-proc="$root/proc" chroot "$root" /usr/bin/env -i \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# debian_root ROOT SUITE [ARCH]: a new minbase Debian SUITE (a lane SUITE-backports: SUITE with
# its backports, see chroot_sources) for ARCH (default amd64) at ROOT, with the host's mirror.
debian_root() {
	local root=$1 suite=$2 arch=${3:-amd64}
	say "debootstrap $suite for $(basename "$root") (a few minutes; arm64, emulated: about 9)"
	rm -rf "$root"
	mkdir -p "$(dirname "$root")"
	quiet debootstrap --arch="$arch" --variant=minbase "${suite%-backports}" "$root" \
		"$(debian_mirror)"
	echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99ntsync"
	chroot_sources "$suite" >"$root/etc/apt/sources.list.d/ntsync.list"
	[ "$arch" = amd64 ] || no_initramfs "$root"
}

# no_initramfs ROOT: ROOT's update-initramfs, installed or not yet, diverted aside and a stub in
# its place, in an emulated chroot, which builds modules and never boots.  bookworm-backports'
# linux-headers (6.12) depend on their linux-image, whose postinst hook's mkinitramfs, emulated
# by qemu-user, took longer than the rest of the lane.  (The image the guest boots is
# fetch_kernel's; the lanes make their own initramfs.)
no_initramfs() {
	quiet in_root "$1" dpkg-divert --local --rename --divert /usr/sbin/update-initramfs.ntsync \
		--add /usr/sbin/update-initramfs
	printf '#!/bin/sh\necho "update-initramfs $*: skipped, this chroot never boots" >&2\n' \
		>"$1/usr/sbin/update-initramfs"
	chmod 755 "$1/usr/sbin/update-initramfs"
}

# root_install ROOT [--upgrade] APT-GET-INSTALL-ARGS...: ROOT's package lists updated (with
# --upgrade its packages too), the packages installed, what is no longer needed removed.
root_install() {
	local root=$1
	shift
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	quiet in_root "$root" apt-get update
	if [ "$1" = --upgrade ]; then
		shift
		quiet in_root "$root" apt-get dist-upgrade -y --no-install-recommends
	fi
	quiet in_root "$root" apt-get install -y --no-install-recommends "$@"
	quiet in_root "$root" apt-get autoremove -y --purge
	quiet in_root "$root" apt-get clean
}

# A chroot is named after its lane: SUITE, or SUITE-rt for that suite's PREEMPT_RT kernel
# (linux-headers-rt-amd64), or SUITE-arm64 for its arm64 kernel (an arm64 chroot, run under
# qemu-user emulation through binfmt_misc: see arm64_host in tools/matrix/arm64.sh).
lane_suite() { case $1 in *-rt|*-arm64) echo "${1%-*}" ;; *) echo "$1" ;; esac; }
lane_arch() { case $1 in *-arm64) echo arm64 ;; *) echo amd64 ;; esac; }
# The kernel flavour, as in Debian's metapackages linux-image-FLAVOUR, linux-headers-FLAVOUR.
lane_flavour() { case $1 in *-rt) echo rt-amd64 ;; *-arm64) echo arm64 ;; *) echo amd64 ;; esac; }

# Chroot of a Debian suite with linux-headers-FLAVOUR (and so the kernel's gcc) installed; a lane
# SUITE-backports is a SUITE chroot whose kernel headers come from SUITE-backports.  The
# stamp .ntsync-ok is written last and removed while the chroot changes; a chroot without it,
# or without make and the headers, is rebuilt from scratch.  Refreshed once a day.
setup_chroot() {
	local lane=$1 suite root=$CACHE/chroots/$1 abi target=()
	local stamp=$root/.ntsync-ok
	suite=$(lane_suite "$lane")
	[ "${suite%-backports}" = "$suite" ] || target=(-t "$suite")
	if ! { [ -e "$stamp" ] && [ -x "$root/usr/bin/make" ] && abi=$(kernel_abi "$root") &&
	       [ -n "$abi" ] && [ -e "$root/usr/src/linux-headers-$abi/Makefile" ]; }; then
		debian_root "$root" "$suite" "$(lane_arch "$lane")"
	elif ! fresh "$stamp"; then
		say "updating the $lane chroot"
		rm "$stamp"
	else
		return 0
	fi
	root_install "$root" "${target[@]}" "linux-headers-$(lane_flavour "$lane")" make
	touch "$stamp"
}

# fresh STAMP: the stamp file exists and is younger than a day, and NTSYNC_REFRESH is not 1.
fresh() { [ -e "$1" ] && [ -z "$(find "$1" -mmin +1440)" ] && [ "${NTSYNC_REFRESH:-0}" != 1 ]; }

# unpack_ko KO OUT: OUT, the module KO uncompressed (KO: .ko, .ko.xz, .ko.zst or .ko.gz).
unpack_ko() {
	case $1 in
	*.xz)  xz -dc "$1" ;;
	*.zst) install_missing zstd; zstd -qdc "$1" ;;
	*.gz)  gzip -dc "$1" ;;
	*)     cat "$1" ;;
	esac >"$2"
}

# intree_ko ABI OUT: OUT, the kernel ABI's own ntsync.ko, uncompressed, as fetch_kernel kept it;
# fails if the kernel ships none.
intree_ko() {
	local ko
	ko=$(find "$CACHE/kernels/$1/modules/$1/" -name 'ntsync.ko*' | head -n 1)
	[ -n "$ko" ] || return 1
	unpack_ko "$ko" "$2"
	[ "$(modinfo -F name "$2")" = ntsync ] || die "$ko is not an ntsync module"
}

# Kernel ABI name (e.g. 6.1.0-56-amd64) of the headers that ROOT's linux-headers-FLAVOUR pulls in,
# the flavour being that of the lane ROOT is named after (amd64 for /).
kernel_abi() {
	in_root "$1" dpkg-query -W -f="\${Depends}\n" "linux-headers-$(lane_flavour "${1##*/}")" |
		tr ',' '\n' | sed -nE 's/^ *linux-headers-([^ ]+).*/\1/p' | head -n 1
}

# fetch_kernel ROOT ABI: $CACHE/kernels/ABI/vmlinuz, downloaded with ROOT's apt from the packages
# of that kernel (linux-image-ABI up to Debian 13; linux-binary-ABI, linux-modules-ABI and
# linux-base-ABI in newer suites).  The kernel's own ntsync.ko, if it has one, and its
# modules.{order,builtin,builtin.modinfo} go to $CACHE/kernels/ABI/modules/ABI/: the kernel's
# part of a module tree.
fetch_kernel() {
	local root=$1 abi=$2 dir=$CACHE/kernels/$2 dl pkg deb member='' re
	[ -s "$dir/vmlinuz" ] && [ -e "$dir/modules.ok" ] && return 0
	say "fetching the $abi kernel image"
	mkdir -p "$dir"
	rm -rf "$dir/modules" "$dir/modules.tmp" "$dir/modules.ok"
	mkdir -p "$dir/modules.tmp"
	dl=$root/tmp/ntsync-dl
	rm -rf "$dl"
	mkdir -p "$dl"
	[ "$root" = / ] || cp /etc/resolv.conf "$root/etc/resolv.conf"
	for pkg in "linux-image-$abi" "linux-binary-$abi" "linux-modules-$abi" "linux-base-$abi" \
		   "linux-image-$abi-unsigned"; do
		[ -z "$member" ] || [ "$pkg" != "linux-image-$abi-unsigned" ] || break
		in_root "$root" env -C /tmp/ntsync-dl apt-get download "$pkg" >>"$LOG" 2>&1 || continue
		deb=$(ls "$dl"/*.deb)
		dpkg-deb --fsys-tarfile "$deb" | tar -t >"$dl/list"
		if [ -z "$member" ] &&
		   member=$(grep -Fx -e "./boot/vmlinuz-$abi" -e "./usr/lib/modules/$abi/vmlinuz" "$dl/list"); then
			dpkg-deb --fsys-tarfile "$deb" | tar -x -O "$member" >"$dir/vmlinuz.tmp"
		fi
		re=$(printf '%s' "$abi" | sed 's/[.+]/\\&/g')
		re="^\./(usr/)?lib/modules/$re/(modules\.(order|builtin|builtin\.modinfo)"
		re="$re|kernel/drivers/misc/ntsync\.ko(\.[a-z]+)?)\$"
		if grep -E "$re" "$dl/list" >"$dl/want"; then
			dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir/modules.tmp" -T "$dl/want"
		fi
		rm -f "$deb"
	done
	rm -rf "$dl"
	[ -n "$member" ] || die "no package of $abi holds a vmlinuz"
	[ -e "$dir/modules.tmp/lib" ] || ln -s usr/lib "$dir/modules.tmp/lib"
	[ -e "$dir/modules.tmp/lib/modules/$abi/modules.order" ] || die "no package of $abi holds modules.order"
	mkdir -p "$dir/modules"
	mv "$dir/modules.tmp/lib/modules/$abi" "$dir/modules/$abi"
	rm -rf "$dir/modules.tmp"
	mv "$dir/vmlinuz.tmp" "$dir/vmlinuz"
	touch "$dir/modules.ok"
}

# prepare_kernel LANE DIR [chroot]: host headers (bookworm, unless "chroot" is given) or the lane's
# chroot (setup_chroot), plus the image.  Writes DIR/root, DIR/abi and DIR/vmlinuz.
prepare_kernel() {
	local lane=$1 dir=$2 root=/ abi
	if [ "$lane" = bookworm ] && [ "${3:-}" != chroot ]; then
		# shellcheck source=/dev/null  # (the host's)
		[ "$(. /etc/os-release; echo "$VERSION_CODENAME")" = bookworm ] ||
			die "the bookworm lane needs a Debian 12 host"
	else
		setup_chroot "$lane"
		root=$CACHE/chroots/$lane
	fi
	abi=$(kernel_abi "$root")
	[ -n "$abi" ] || die "cannot resolve linux-headers-$(lane_flavour "$lane") in $lane"
	[ -e "$root/usr/src/linux-headers-$abi/Makefile" ] || die "headers for $abi are not installed"
	fetch_kernel "$root" "$abi"
	echo "$root" >"$dir/root"
	echo "$abi" >"$dir/abi"
	ln -sfn "$CACHE/kernels/$abi/vmlinuz" "$dir/vmlinuz"
}

# Scratch copy of the tree: tracked and untracked-but-not-ignored files, as in the work tree.
copy_tree() {
	local dst=$OUT/src
	rm -rf "$dst"
	mkdir -p "$dst"
	(cd "$REPO" && git -c safe.directory="$REPO" ls-files -z -c -o --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -C "$dst" -xf -
}

# build_module DIR [MAKE-ARG...]: build the module of the scratch copy for the kernel prepared in
# DIR, inside that kernel's root, into DIR/ntsync.ko, with the extra make arguments (such as
# NTSYNC_DEBUG=1).  Any compiler/modpost warning fails.  The kernel tree is
# /usr/src/linux-headers-ABI in that root, or DIR/kdir's content if that file exists.
build_module() {
	local dir=$1 root abi src rel kdir
	shift
	root=$(cat "$dir/root")
	abi=$(cat "$dir/abi")
	kdir=/usr/src/linux-headers-$abi
	[ ! -e "$dir/kdir" ] || kdir=$(cat "$dir/kdir")
	if [ "$root" = / ]; then rel=$dir/module; else rel=/tmp/ntsync-build; fi
	src=${root%/}$rel
	[ -e "$OUT/src/ntsync.c" ] || die "no ntsync.c in the tree yet"
	rm -rf "$src"
	mkdir -p "$src"
	cp -a "$OUT/src"/{Kbuild,Makefile,include} "$OUT/src"/*.[ch] "$src/"
	rm -f "$dir/ntsync.ko"
	if ! in_root "$root" make -C "$kdir" M="$rel" W=1 "$@" modules >"$dir/build.log" 2>&1; then
		tail -n 40 "$dir/build.log"
		die "module build failed for $abi (log: $dir/build.log)"
	fi
	if grep -i 'warning:' "$dir/build.log"; then
		die "module build for $abi has warnings (log: $dir/build.log)"
	fi
	cp "$src/ntsync.ko" "$dir/ntsync.ko"
}

# The kselftest harness headers, extracted by name (nothing else) from Debian's linux-source.
harness_dir() {
	local d=$CACHE/harness tarball top f
	if [ ! -s "$d/kselftest_harness.h" ] || [ ! -s "$d/kselftest.h" ]; then
		tarball=$(printf '%s\n' /usr/src/linux-source-*.tar.xz | sort -V | tail -n 1)
		[ -f "$tarball" ] || die "no /usr/src/linux-source-*.tar.xz"
		top=$(basename "$tarball" .tar.xz)
		rm -rf "$d" "$d.tmp"
		mkdir -p "$d.tmp"
		for f in kselftest_harness.h kselftest.h; do
			echo "$top/tools/testing/selftests/$f"
		done | tar -xJf "$tarball" -C "$d.tmp" --strip-components=4 -T -
		echo "$tarball" >"$d.tmp/source"
		mv "$d.tmp" "$d"
	fi
	echo "$d"
}

# make_initrd DIR PAYLOAD...: DIR/initrd with busybox (the host's, or INITRD_BUSYBOX), /init
# (INITRD_INIT, by default tools/vm/guest-init) and the guests' shared /guest-lib.sh, the content
# of the directory INITRD_TREE (if set),
# DIR/ntsync.ko, the payload programs (run in order by /init) and the module's identity for /init
# to check.  A PAYLOAD written +FILE is copied to / but not run (a helper of the payload); one
# written "=NAME PROGRAM ARGS..." runs PROGRAM (such a helper) with ARGS, reported as NAME.
make_initrd() {
	local dir=$1 st=$1/initrd.d p id
	shift
	rm -rf "$st"
	mkdir -p "$st"/{bin,dev,proc,sys,tmp}
	cp "${INITRD_BUSYBOX:-/bin/busybox}" "$st/bin/busybox"
	install -m 755 "${INITRD_INIT:-$VMDIR/guest-init}" "$st/init"
	cp "$VMDIR/guest-lib.sh" "$st/guest-lib.sh"
	[ -z "${INITRD_TREE:-}" ] || cp -a "$INITRD_TREE/." "$st/"
	mknod -m 600 "$st/dev/console" c 5 1
	cp "$dir/ntsync.ko" "$st/ntsync.ko"
	# (bookworm's readelf exits 1 on notes of newer toolchains, yet prints the build ID)
	id=$(readelf -n "$dir/ntsync.ko" | sed -n 's/^ *Build ID: *//p') || true
	[ -n "$id" ] || die "ntsync.ko has no build ID"
	echo "$id" >"$st/ntsync.build-id"
	modinfo -F srcversion "$dir/ntsync.ko" >"$st/ntsync.srcversion"
	for p; do
		case $p in
		+*) cp "${p#+}" "$st/" ;;
		=*) echo "${p#=}" >>"$st/payload" ;;
		*)  cp "$p" "$st/"
		    basename "$p" >>"$st/payload" ;;
		esac
	done
	(cd "$st" && find . | cpio -o -H newc --quiet) >"$dir/initrd"
	rm -rf "$st"
}

# boot DIR MODE: boot DIR/vmlinuz with DIR/initrd (if there is one).  The console (kernel and
# live program output) goes to DIR/console.log; with MODE demo the payload's output also to the
# terminal.
# /init writes its clean report to a second serial port, DIR/results.log.  Returns the status
# of timeout (124: the guest did not end in time).  In check mode a guest whose kernel died
# before /init loaded the module (died_before_init) boots once more.  A lane may set BOOT_MEM (default 2G),
# BOOT_QEMU (more QEMU arguments, e.g. a disk), BOOT_APPEND (more kernel arguments) and
# BOOT_ARCH (x86_64, the default, or arm64: qemu-system-aarch64 -M virt -cpu max, the console on
# its PL011 and the report on a PCI 16550, which /init is told is /dev/ttyS0).
# shellcheck disable=SC2034  # (BOOT_QEMU: used below, a lane may set it; shellcheck cannot tell)
BOOT_MEM=2G BOOT_QEMU=() BOOT_APPEND='' BOOT_ARCH=x86_64
boot() {
	local dir=$1 mode=$2 console=$1/console.log rc=0 sys con report append=$BOOT_APPEND
	case $BOOT_ARCH in
	arm64)
		sys=(qemu-system-aarch64 -M virt -cpu max) con=ttyAMA0
		# shellcheck disable=SC2054  # (QEMU's option syntax has commas)
		report=(-chardev "file,id=report,path=$dir/results.log"
			-device pci-serial,chardev=report)
		append="ntsync_report=/dev/ttyS0${append:+ $append}" ;;
	*)
		sys=(qemu-system-x86_64) con=ttyS0
		report=(-serial "file:$dir/results.log") ;;
	esac
	# (a kernel that mounts its root itself boots without DIR/initrd)
	local initrd=()
	[ ! -e "$dir/initrd" ] || initrd=(-initrd "$dir/initrd")
	local cmd=(timeout --foreground -k 10 "$TIMEOUT" "${sys[@]}" -accel tcg -smp 2
		   -m "$BOOT_MEM" "${BOOT_QEMU[@]}"
		   -nographic -monitor none -serial stdio "${report[@]}" -no-reboot
		   -kernel "$dir/vmlinuz" "${initrd[@]}"
		   -append "console=$con panic=-1 loglevel=$([ "$mode" = demo ] && echo 4 || echo 5)${append:+ $append}")
	rm -f "$dir/results.log" "$dir/console.first.log"
	if [ "$mode" = demo ]; then   # live: what the payload prints, between @@run and @@exit
		"${cmd[@]}" </dev/null 2>&1 | tee "$console" |
			sed -u -n 's/\r$//; /^@@run/,/^@@exit/{/^@@\(run\|exit\)/!p}' || rc=${PIPESTATUS[0]}
	else
		"${cmd[@]}" </dev/null >"$console" 2>&1 || rc=$?
		if [ "$rc" != 124 ] && died_before_init "$dir"; then
			mv "$console" "$dir/console.first.log"
			say "$(basename "$dir"): the guest's kernel died before /init loaded the module;" \
			    "booting once more.  Its first console:"
			grep -E -m 1 -A 40 "$KLOG_BAD" "$dir/console.first.log" | sed 's/^/#   /' >&4
			rc=0
			"${cmd[@]}" </dev/null >"$console" 2>&1 || rc=$?
		fi
	fi
	touch "$dir/results.log"
	sed -i 's/\r$//' "$console" "$dir/results.log"
	return "$rc"
}

# died_before_init DIR: the guest's kernel panicked before its /init wrote a report line or said
# it was loading the module.  The module under test cannot have caused that (a broken initramfs or disk image
# of the lane's would die again), and boot retries it once (seen once in CI: Debian's 6.12
# panicking while it unpacked an initramfs that had booted many times before and since).
died_before_init() {
	[ ! -s "$1/results.log" ] && grep -q 'Kernel panic' "$1/console.log" &&
		! grep -q 'ntsync-lane: loading the module' "$1/console.log"
}

# Lines of the guest's kernel log that show trouble: from where /init loaded the module on, or
# all of it if that marker is missing.
KLOG_BAD='BUG|WARNING:|Oops|lockdep|possible circular locking|INFO: possible|INFO: task|KASAN|kmemleak|UBSAN|general protection|Call Trace|Kernel panic'
bad_klog_lines() {
	sed -n '/^@@dmesg-begin/,/^@@dmesg-end/p' "$1" |
		awk '{ l[NR] = $0 } /ntsync-lane: loading the module/ && !from { from = NR }
		     END { for (i = from ? from : 1; i <= NR; i++) print l[i] }' |
		grep -E "$KLOG_BAD" || true
}

# guest_clean WHAT DIR BOOT-STATUS: for the lanes that show a program's output rather than TAP
# (demo, bench): says what went wrong, if anything (a failed check, trouble in the kernel log, a
# guest that did not finish); the status says whether anything did.
guest_clean() {
	local r=$2/results.log bad rc=0
	! grep '^@@check fail' "$r" | sed "s/^@@check fail /$1: failed check: /" || rc=1
	bad=$(bad_klog_lines "$r")
	[ -z "$bad" ] || { printf '%s: kernel log shows trouble:\n%s\n' "$1" "$bad"; rc=1; }
	if [ "$3" != 0 ] || ! grep -q '^@@done' "$r"; then
		echo "$1: the guest did not finish (status $3); console: $2/console.log"
		rc=1
	fi
	return $rc
}

# --- the guest's report (tools/vm/guest-init), as TAP ---------------------------------------
# A lane's parser reads DIR/results.log line by line; these do the parts every lane shares.

# parse_runs PREFIX DIR PROGRAM...: the guest's @@check lines and each program's TAP from
# DIR/results.log as results, its @@info lines as comments; a program that did not finish, or
# one of PROGRAM... that never ran, fails.  REPORT_DONE is set if the guest got to its end
# marker (for guest_end); RUN_PASS[PROGRAM] and RUN_PLAN[PROGRAM] count each program's tests.
declare -A RUN_PASS=() RUN_PLAN=()
parse_runs() {
	local p=$1 dir=$2 line prog='' s
	local -A ran=()
	shift 2
	REPORT_DONE='' RUN_PASS=() RUN_PLAN=()
	while IFS= read -r line; do
		case $line in
		"@@check ok "*)   result ok "$p: ${line#@@check ok }" ;;
		"@@check fail "*) result fail "$p: ${line#@@check fail }" ;;
		"@@info "*)       echo "# $p: ${line#@@info }" ;;
		"@@run "*)        prog=${line#@@run }; ran[$prog]=1; prog_start "$prog" ;;
		"@@exit "*)
			prog_exit "$p: $prog" "${line##* }"
			# shellcheck disable=SC2034  # (for the lanes)
			RUN_PASS[$prog]=$T_PASS RUN_PLAN[$prog]=${T_PLAN:-0} prog='' ;;
		"@@done")         REPORT_DONE=1 ;;
		*)                [ -z "$prog" ] || prog_line "$p: $prog" "$line" ;;
		esac
	done <"$dir/results.log"
	[ -z "$prog" ] || result fail "$p: $prog: did not finish" "$T_NOTES"
	for s; do
		[ -n "${ran[$s]:-}" ] || result fail "$p: $s: did not run"
	done
}

# The suite's tests that fail (or skip) on the kernel's own driver by intent, as
# DIFFERENCES[PROGRAM.TEST]=why: the list in Documentation/ntsync.rst, where each is a line
# ``PROGRAM.TEST`` followed by an indented line that says why.
declare -A DIFFERENCES=()
load_differences() {
	local key why
	while IFS=$'\t' read -r key why; do
		DIFFERENCES[$key]=$why
	done < <(awk '/^``ntsync_[a-z0-9_]+\.[a-z0-9_]+``$/ { key = substr($0, 3, length($0) - 4); next }
		      key != "" && /^ +[^ ]/ { sub(/^ +/, ""); print key "\t" $0; key = "" }' "$1")
}

# prog_start [PROGRAM]: a program's output begins (@@run).  A program run on the kernel's own
# driver is named intree/PROGRAM (or intree/PROGRAM_32); its failures and skips are as expected
# where DIFFERENCES lists PROGRAM.TEST (and only there).
prog_start() {
	T_PLAN='' T_SEEN=0 T_PASS=0 T_NOTES='' T_TEST='' T_UNEXPECTED=0 T_INTREE=''
	case ${1:-} in intree/*) T_INTREE=${1#intree/}; T_INTREE=${T_INTREE%_32} ;; esac
}

# prog_line PREFIX LINE: one line of a program's TAP; "#" lines are kept as the next result's
# details.
prog_line() {
	local why=''
	case $2 in
	"#  RUN "*) T_TEST=${2#\#  RUN}; T_TEST=${T_TEST#"${T_TEST%%[! ]*}"}; T_TEST=${T_TEST%% *} ;;
	esac
	if [ -n "$T_INTREE" ] && [ -n "$T_TEST" ]; then
		why=${DIFFERENCES[$T_INTREE.${T_TEST#*.}]:-}
	fi
	case $2 in
	1..*) T_PLAN=${2#1..} ;;
	"ok "*"# SKIP"*|"not ok "*)
		T_SEEN=$((T_SEEN + 1))
		if [ -n "$why" ]; then
			T_PASS=$((T_PASS + 1))
			result ok "$1: ${T_TEST#*.} # intended difference: $why"
		elif [ "${2#not }" = "$2" ]; then
			T_UNEXPECTED=$((T_UNEXPECTED + 1))
			result skip "$1: ${2#ok }" "$T_NOTES"
		else
			T_UNEXPECTED=$((T_UNEXPECTED + 1))
			result fail "$1: ${2#not ok }" "$T_NOTES"
		fi
		T_NOTES= ;;
	"ok "*)
		T_SEEN=$((T_SEEN + 1))
		if [ -n "$why" ]; then
			T_UNEXPECTED=$((T_UNEXPECTED + 1))
			result fail "$1: ${2#ok } passes, yet Documentation/ntsync.rst lists it as a difference"
		else
			T_PASS=$((T_PASS + 1))
			result ok "$1: ${2#ok }"
		fi
		T_NOTES= ;;
	"#"*) T_NOTES+=${T_NOTES:+$'\n'}$2 ;;
	esac
}

# prog_exit PREFIX STATUS: the program ended (@@exit): it must have reported every test it
# planned and exited 0 (on the kernel's driver: or failed only where DIFFERENCES says so).
prog_exit() {
	if [ -n "$T_PLAN" ] && [ "$T_SEEN" = "$T_PLAN" ] &&
	   { [ "$2" = 0 ] || { [ -n "$T_INTREE" ] && [ "$T_UNEXPECTED" = 0 ]; }; }; then
		result ok "$1: all $T_PLAN tests reported, exit status $2"
	else
		result fail "$1: $T_SEEN of ${T_PLAN:-no} planned tests reported, exit status $2" "$T_NOTES"
	fi
}

# guest_finished PREFIX DIR BOOT-STATUS [DONE]: the guest got to its end marker (DONE non-empty;
# by default parse_runs' REPORT_DONE), powered off (its PID 1 did not exit: guest-lib.sh's
# guest_done) and QEMU exited in time.
guest_finished() {
	local p=$1 dir=$2 brc=$3 done=${4-$REPORT_DONE} marker=missing pid1_exited=
	grep -q 'Attempted to kill init' "$dir/console.log" && pid1_exited=1
	if [ -n "$done" ] && [ "$brc" = 0 ] && [ -z "$pid1_exited" ]; then
		result ok "$p: guest finished"
	else
		[ "$brc" = 124 ] && brc="timed out after ${TIMEOUT}s" || brc="status $brc"
		[ -z "$pid1_exited" ] || brc="$brc, its PID 1 exited"
		[ -z "$done" ] || marker=seen
		result fail "$p: guest finished ($brc, end marker $marker)" \
			"$(tail -n 30 "$dir/console.log")"
	fi
}

# guest_end PREFIX DIR BOOT-STATUS [DONE]: guest_finished, and the guest's kernel log, from the
# module's load on, holds no report.
guest_end() {
	local p=$1 dir=$2 bad
	guest_finished "$@"
	bad=$(bad_klog_lines "$dir/results.log")
	if ! grep -q '^@@dmesg-end' "$dir/results.log"; then
		result fail "$p: kernel log clean (no kernel log from the guest)" \
			"$(grep -E "$KLOG_BAD" "$dir/console.log" | head -n 40)"
	elif [ -z "$bad" ]; then
		result ok "$p: kernel log clean (no warning, BUG, Oops or sanitizer, lockdep or kmemleak report)"
	else
		result fail "$p: kernel log clean" "$(printf '%s\n' "$bad" | head -n 60)
--- the first reports in full:
$(sed -n '/^@@dmesg-begin/,/^@@dmesg-end/p' "$dir/results.log" |
  sed -n '/ntsync-lane: loading the module/,$p' | grep -E -A 25 -m 3 "$KLOG_BAD" | head -n 80)"
	fi
}
