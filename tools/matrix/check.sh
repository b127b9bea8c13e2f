#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make check-matrix: the module on every Debian stock kernel from 5.10 on, installed the way a
# distribution installs it.  For each lane (a Debian suite, in a chroot of that suite, with the
# suite's linux-headers-amd64 and so the kernel's own compiler; SUITE-rt: the suite's PREEMPT_RT
# kernel, linux-headers-rt-amd64; SUITE-arm64: its arm64 kernel, in an arm64 chroot under
# qemu-user emulation, booted with qemu-system-aarch64, see tools/matrix/arm64.sh; or "clang", a
# kernel built here with LLVM=1 in a bookworm chroot with clang, see tools/debug/clang.sh):
#   - build the module warning-free at W=1;
#   - "make dkms-install KVER=<kernel>" in a throw-away overlay of the chroot, where the kernel's
#     own ntsync.ko (if any) and modules.* are installed too; check the DKMS and module versions,
#     then "make dkms-remove" and check that nothing is left;
#   - boot the kernel under QEMU with the DKMS-installed module and that module tree: run the
#     64-bit and 32-bit kselftest suites, rmmod, "modprobe ntsync" must load ours, and where the
#     kernel ships its own ntsync, either module must refuse to load over the other;
#   - scan the kernel log.
# Then, once: "make install"/"make uninstall" (DESTDIR on the host; for real in the bookworm and
# sid chroots, where sid's linux-libc-dev owns a linux/ntsync.h), and "make deb" built in a
# bookworm chroot and installed, checked and purged in bookworm and sid chroots.
# Prints TAP, a summary table and "N passed, N failed"; non-zero on any failure.
#
# With --prepare it only fills the cache (chroots, kernel images and module trees) for a later
# run and builds or boots nothing: .ci/run does that in the background while the debug lane
# compiles its kernels.
#
#   NTSYNC_LANES     kernels (default: bullseye bookworm bookworm-backports trixie-backports sid
#                    bookworm-rt trixie-backports-rt bookworm-arm64 clang bookworm-backports-arm64
#                    trixie-backports-arm64; "" for none).  "clang" is a kernel built with LLVM=1
#                    from the debug lane's source (tools/debug/clang.sh; 10-20 minutes the first
#                    time): the module built with LLVM=1, and DKMS must choose that by itself.
#   NTSYNC_EXTRAS    the once-only parts (default: install deb; "" for none)
#   see tools/vm/lib.sh for NTSYNC_CACHE, NTSYNC_TIMEOUT, NTSYNC_REFRESH; NTSYNC_OUT defaults to
#   <repo>/build/matrix here.
set -euo pipefail
NTSYNC_OUT=${NTSYNC_OUT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/matrix}
# shellcheck source=tools/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../vm/lib.sh"
# shellcheck source=tools/matrix/arm64.sh
. "$(dirname "${BASH_SOURCE[0]}")/arm64.sh"
# (the "clang" lane: a kernel built with LLVM=1 from the debug lane's source)
# shellcheck source=tools/debug/lib.sh
. "$REPO/tools/debug/lib.sh"
# shellcheck source=tools/debug/clang.sh
. "$REPO/tools/debug/clang.sh"

DEFAULT_LANES="bullseye bookworm bookworm-backports trixie-backports sid"
DEFAULT_LANES+=" bookworm-rt trixie-backports-rt bookworm-arm64 clang"
DEFAULT_LANES+=" bookworm-backports-arm64 trixie-backports-arm64"
read -r -a LANES <<<"${NTSYNC_LANES-$DEFAULT_LANES}"
read -r -a EXTRAS <<<"${NTSYNC_EXTRAS-install deb}"
declare -A SUM=()   # SUM[lane,column]: the summary table's cells

# Show a step's log (the parts the report wants a reader to see) as TAP comments.
show() { sed 's/^/#   /' "$@"; }

# --- chroots and overlays ------------------------------------------------------------------

# The packages a lane's chroot needs besides the kernel headers: DKMS, and in bookworm, which
# builds the .deb, build-essential and debhelper with dh-dkms.
lane_pkgs() {
	echo dkms
	[ "$1" != bookworm ] || printf '%s\n' build-essential debhelper dh-dkms
	[ "$(lane_arch "$1")" = amd64 ] || echo busybox-static
}

# matrix_prepare LANE DIR: tools/vm/lib.sh's prepare_kernel from the lane's chroot (bookworm's
# too), which also gets lane_pkgs: DIR/root, DIR/abi, DIR/vmlinuz (an arm64 one as QEMU boots
# it), and DIR/arch and DIR/cc (the kernel's compiler).
matrix_prepare() {
	local lane=$1 dir=$2 root=$CACHE/chroots/$1 abi kh pkgs
	prepare_kernel "$lane" "$dir" chroot
	mapfile -t pkgs < <(lane_pkgs "$lane")
	missing_pkgs "$root" "${pkgs[@]}"
	if [ ${#MISSING[@]} != 0 ]; then
		say "$lane: installing ${MISSING[*]} in the chroot"
		rm -f "$root/.ntsync-ok"
		root_install "$root" "${MISSING[@]}"
		touch "$root/.ntsync-ok"
	fi
	abi=$(cat "$dir/abi")
	lane_arch "$lane" >"$dir/arch"
	[ "$(lane_arch "$lane")" = amd64 ] || arm64_image "$CACHE/kernels/$abi/vmlinuz" "$dir/vmlinuz"
	# The kernel's compiler, as the headers name it (read from the host: plain files).
	kh=$root/usr/src/linux-headers-$abi
	{ grep -o 'gcc-[0-9]*' "$kh/.kernelvariables" ||
	  sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"/\1/p' "$kh/.config"; } |
		head -n 1 | sed 's/^\(gcc-[0-9]*\).*/\1/; s/^gcc ([^)]*) \([0-9]*\).*/gcc-\1/' >"$dir/cc"
}

# in_overlay ROOT OVL CMD...: run CMD in a copy-on-write view of the chroot ROOT: changes land in
# OVL/upper and vanish with it; the cached chroot stays as it was.  OVL/xfer is /xfer inside.
in_overlay() {
	mkdir -p "$2/upper" "$2/work" "$2/merged" "$2/xfer"
	cp /etc/resolv.conf "$1/etc/resolv.conf"
	unshare -m -- "$REPO/tools/matrix/in-overlay" "$@"
}
drop_overlay() { rm -rf "$1"; }

# A clean source tree of the module (what the scratch copy holds) at OVL/xfer/src.
stage_src() {
	rm -rf "$1/xfer/src"
	mkdir -p "$1/xfer"
	cp -a "$OUT/src" "$1/xfer/src"
}

# --- a kernel lane -------------------------------------------------------------------------

# dkms_lane DIR: make dkms-install for the lane's kernel in an overlay of its chroot, where the
# kernel's own module tree part is installed first; keep that /lib/modules/ABI in DIR/modtree
# and the installed module, uncompressed, as DIR/ntsync.ko.  Then make dkms-remove.
dkms_lane() {
	local dir=$1 root abi ovl=$1/ovl ko ver dver
	root=$(cat "$dir/root")
	abi=$(cat "$dir/abi")
	drop_overlay "$ovl"
	stage_src "$ovl"
	cp -a "$CACHE/kernels/$abi/modules/$abi" "$ovl/xfer/kernel-modules"
	in_overlay "$root" "$ovl" sh /xfer/src/tools/matrix/chroot/dkms "$abi"
	mv "$ovl/xfer/guest/usr/lib/modules/$abi" "$ovl/xfer/modtree"
	ko=$(find "$ovl/xfer/modtree/updates" -name 'ntsync.ko*' | head -n 1)
	[ -n "$ko" ] || die "DKMS installed no ntsync.ko under updates/"
	echo "DKMS installed ${ko#"$ovl/xfer/modtree/"}"
	unpack_ko "$ko" "$dir/ntsync.ko"
	rm -rf "$dir/modtree"
	mv "$ovl/xfer/modtree" "$dir/modtree"
	# (dkms 2 writes "ntsync, 1.0.0, KERNEL, ARCH: installed", dkms 3 "ntsync/1.0.0, ...")
	grep -q '^ntsync[/,]' "$ovl/xfer/dkms-status" || die "dkms status does not list ntsync"
	ver=$(modinfo -F version "$dir/ntsync.ko")
	dver=$(sed -n 's|^ntsync[/,] *\([^,]*\),.*|\1|p' "$ovl/xfer/dkms-status")
	echo "dkms: $(cat "$ovl/xfer/dkms-status"); MODULE_VERSION $ver; NTSYNC_VERSION $(ntsync_version)"
	if [ "$ver" != "$(ntsync_version)" ] || [ "$dver" != "$ver" ]; then
		die "versions differ: dkms $dver, module $ver, ntsync.h $(ntsync_version)"
	fi
	drop_overlay "$ovl"
}

ntsync_version() { make -s --no-print-directory -C "$OUT/src" version; }

# Static programs every amd64 guest gets: the smoke test (arm64_programs builds the arm64 ones).
build_tools() {
	mkdir -p "$OUT/bin"
	gcc -O2 -Wall -Wextra -Werror -static -I"$OUT/src/include/uapi" \
		-o "$OUT/bin/ntsync-smoke" "$OUT/src/tools/matrix/ntsync-smoke.c"
}

# matrix_initrd DIR: the lane initramfs (tools/vm/lib.sh's make_initrd: guest-init, our module,
# the suites and guest-matrix as payload), plus a second cpio archive with the module tree,
# kmod with its libraries, the smoke test and the expected version.  An amd64 guest gets the
# host's busybox and kmod; an arm64 one those of its chroot.
matrix_initrd() {
	local dir=$1 abi x=$1/extra.d f lib root=/ bin=$OUT/bin tools=$OUT/bin
	abi=$(cat "$dir/abi")
	if [ "$(cat "$dir/arch")" = arm64 ]; then
		root=$(cat "$dir/root") bin=$OUT/bin-arm64 tools=$OUT/tools-arm64
	fi
	INITRD_BUSYBOX=${root%/}/bin/busybox \
		make_initrd "$dir" "${SUITES[@]/#/$bin/}" "$OUT/src/tools/matrix/guest-matrix"
	rm -rf "$x"
	mkdir -p "$x/lib/modules" "$x/sbin"
	cp -a "$dir/modtree" "$x/lib/modules/$abi"
	cp "${root%/}/bin/kmod" "$x/sbin/kmod"
	for f in modprobe insmod rmmod modinfo lsmod depmod; do ln -s kmod "$x/sbin/$f"; done
	for lib in $(in_root "$root" ldd /bin/kmod | grep -o '/[^ ]*'); do
		mkdir -p "$x$(dirname "$lib")"
		cp -L "${root%/}$lib" "$x$lib"
	done
	cp "$tools/ntsync-smoke" "$x/ntsync-smoke"
	ntsync_version >"$x/matrix.version"
	(cd "$x" && find . -mindepth 1 | cpio -o -H newc --quiet) >>"$dir/initrd"
	rm -rf "$x"
}

# parse_lane LANE DIR BOOT-STATUS: the guest's report as TAP, and the lane's summary cells.
parse_lane() {
	local lane=$1 dir=$2 brc=$3 line suite='' done='' s b
	local mfail=0 mok=0 cfail=0 cok=0 own=''
	local -A ran=() pass=() plan=()
	while IFS= read -r line; do
		case $line in
		"@@check ok "*)
			result ok "$lane: ${line#@@check ok }"
			[ -n "$own" ] && cok=$((cok + 1)) || mok=$((mok + 1)) ;;
		"@@check fail "*)
			result fail "$lane: ${line#@@check fail }"
			[ -n "$own" ] && cfail=$((cfail + 1)) || mfail=$((mfail + 1)) ;;
		# (checks after "the kernel ships ..." are about the two modules side by side)
		"@@info "*)       echo "# $lane: ${line#@@info }"; [ "${line#*ships no}" = "$line" ] && own=1 ;;
		"@@run "*)        suite=${line#@@run }; ran[$suite]=1; prog_start ;;
		"@@exit "*)
			s=${line##* }
			if [ "$suite" != guest-matrix ]; then
				prog_exit "$lane: $suite" "$s"
				# (the suite's programs, summed: 64-bit, and 32-bit *_32)
				b=64
				[ "${suite%_32}" = "$suite" ] || b=32
				pass[$b]=$((${pass[$b]:-0} + T_PASS))
				plan[$b]=$((${plan[$b]:-0} + ${T_PLAN:-0}))
			elif [ "$s" = 0 ]; then
				result ok "$lane: module checks ran to the end"
			else
				result fail "$lane: module checks ran to the end (status $s)"
			fi
			suite='' ;;
		"@@done") done=1 ;;
		*)
			if [ -z "$suite" ] || [ "$suite" = guest-matrix ]; then continue; fi
			prog_line "$lane: $suite" "$line" ;;
		esac
	done <"$dir/results.log"
	[ -z "$suite" ] || result fail "$lane: $suite: did not finish"
	for s in "${SUITES[@]}" guest-matrix; do
		[ -n "${ran[$s]:-}" ] || result fail "$lane: $s: did not run"
	done
	SUM[$lane,64]=${pass[64]:+${pass[64]}/${plan[64]}}
	SUM[$lane,32]=${pass[32]:+${pass[32]}/${plan[32]}}
	SUM[$lane,64]=${SUM[$lane,64]:-none} SUM[$lane,32]=${SUM[$lane,32]:-none}
	SUM[$lane,mod]="$mok ok"
	[ "$mfail" = 0 ] || SUM[$lane,mod]="$mfail FAILED"
	[ -n "${ran[guest-matrix]:-}" ] || SUM[$lane,mod]="did not run"
	if [ -z "$own" ]; then
		SUM[$lane,own]="n/a (none shipped)"
	elif [ "$cfail" = 0 ]; then
		SUM[$lane,own]="$cok ok"
	else
		SUM[$lane,own]="$cfail FAILED"
	fi
	guest_end "$lane" "$dir" "$brc" "$done"
}

run_lane() {
	local lane=$1 d=$OUT/$1 abi brc f0=$FAIL t0=$SECONDS
	rm -rf "$d"
	mkdir -p "$d"
	SUM[$lane,kernel]='?' SUM[$lane,cc]='?' SUM[$lane,w1]='-' SUM[$lane,dkms]='-'
	SUM[$lane,64]='-' SUM[$lane,32]='-' SUM[$lane,mod]='-' SUM[$lane,own]='-'
	local prep=matrix_prepare margs=()
	[ "$lane" != clang ] || prep=clang_prepare
	step "$lane: chroot, kernel headers and image" "$d/prepare.log" $prep "$lane" "$d"
	failed && return
	lane_arch "$lane" >"$d/arch"
	[ ! -e "$d/make-args" ] || read -r -a margs <"$d/make-args"
	abi=$(cat "$d/abi")
	SUM[$lane,kernel]=$abi
	SUM[$lane,cc]=$(cat "$d/cc")
	step "$lane: build the module for $abi at W=1, warning-free${margs[*]:+ (${margs[*]})}" "$d/module.log" \
		build_module "$d" "${margs[@]}"
	failed && { SUM[$lane,w1]=FAILED; return; }
	SUM[$lane,w1]=ok
	step "$lane: make dkms-install / dkms-remove for $abi" "$d/dkms.log" dkms_lane "$d"
	failed && { SUM[$lane,dkms]=FAILED; return; }
	SUM[$lane,dkms]=ok
	grep -E '^(dkms:|DKMS installed|DKMS archived|== the kernel)' "$d/dkms.log" | sed 's/^/#   /'
	if [ "$lane" = clang ]; then
		step "$lane: DKMS chose LLVM=1, the kernel's toolchain" "$d/compiler.log" \
			clang_module_check "$d"
		failed && { SUM[$lane,dkms]=FAILED; return; }
		grep -E '^make|version' "$d/compiler.log" | sed 's/^/#   /'
	fi
	[ "$tests_built" = 0 ] || return
	if [ "$(cat "$d/arch")" = arm64 ] && [ -z "$ARM64_BUILT" ]; then
		step "the selftests for arm64 (aarch64 and 32-bit arm, static) and ntsync-smoke" \
			"$OUT/selftests-arm64.log" arm64_programs
		ARM64_BUILT=$STEP_RC
	fi
	[ "$(cat "$d/arch")" = amd64 ] || [ "$ARM64_BUILT" = 0 ] || return
	step "$lane: initramfs with the DKMS-installed module and tree" "$d/initrd.log" matrix_initrd "$d"
	failed && return
	say "$lane: booting $abi"
	brc=0
	BOOT_ARCH=x86_64
	[ "$(cat "$d/arch")" = amd64 ] || BOOT_ARCH=arm64
	boot "$d" check || brc=$?
	parse_lane "$lane" "$d" "$brc"
	SUM[$lane,time]=$((SECONDS - t0))s
	[ "$FAIL" = "$f0" ] && SUM[$lane,result]=PASS || SUM[$lane,result]=FAIL
}

# --- make install / uninstall --------------------------------------------------------------

# install_in_chroot LANE: make install and make uninstall for the chroot's kernel in an overlay
# of LANE's chroot: for real (as root), then with DESTDIR, then with DESTDIR over a foreign
# linux/ntsync.h (which must stop it).  Checks the files, the manifest, depmod's view, that a
# distribution's linux/ntsync.h (sid's linux-libc-dev) is left alone, and that uninstall leaves
# nothing but depmod's regenerated modules.* files.
install_in_chroot() {
	local lane=$1 root=$CACHE/chroots/$1 ovl=$OUT/install-$1 abi
	abi=$(kernel_abi "$root")
	drop_overlay "$ovl"
	stage_src "$ovl"
	in_overlay "$root" "$ovl" bash /xfer/src/tools/matrix/chroot/install "$abi"
	drop_overlay "$ovl"
}

# --- the Debian package --------------------------------------------------------------------

# build_deb: "make deb" in an overlay of the bookworm chroot (debhelper, dh-dkms); the package
# lands in OUT/deb/.
build_deb() {
	local ovl=$OUT/deb-build
	drop_overlay "$ovl"
	stage_src "$ovl"
	in_overlay "$CACHE/chroots/bookworm" "$ovl" sh /xfer/src/tools/matrix/chroot/deb-build
	rm -rf "$OUT/deb"
	mkdir -p "$OUT/deb"
	cp "$ovl"/xfer/src/build/deb/*.deb "$OUT/deb/"
	drop_overlay "$ovl"
	ls "$OUT/deb/ntsync-dkms_$(ntsync_version)_all.deb"
}

# deb_in_chroot LANE: install the package in an overlay of LANE's chroot with apt, check that
# DKMS built and installed it for the chroot's kernel, then purge it and check that nothing is
# left.  The dkms status lines are kept in OUT/deb/LANE.status for the report.
deb_in_chroot() {
	local lane=$1 ovl=$OUT/deb-$1 abi ver
	abi=$(kernel_abi "$CACHE/chroots/$lane")
	ver=$(ntsync_version)
	drop_overlay "$ovl"
	stage_src "$ovl"
	cp "$OUT/deb/ntsync-dkms_${ver}_all.deb" "$ovl/xfer/"
	cp -a "$CACHE/kernels/$abi/modules/$abi" "$ovl/xfer/kernel-modules"
	in_overlay "$CACHE/chroots/$lane" "$ovl" sh /xfer/src/tools/matrix/chroot/deb "$abi" "$ver"
	cp "$ovl/xfer/status" "$OUT/deb/$lane.status"
	drop_overlay "$ovl"
}

summary() {
	local lane c
	echo "#"
	echo "# summary (kselftest columns: passed/planned)"
	printf '# %-25s| %-21s| %-8s| %-6s| %-5s| %-8s| %-8s| %-16s| %-19s| %-6s| %s\n' lane kernel compiler W=1 DKMS "64-bit" "32-bit" \
		"module checks" "vs. kernel's own" time result
	for lane in "${LANES[@]}"; do
		printf '# %-25s| %-21s| %-8s| %-6s| %-5s| %-8s| %-8s| %-16s| %-19s| %-6s| %s\n' "$lane" "${SUM[$lane,kernel]:-?}" \
			"${SUM[$lane,cc]:-?}" "${SUM[$lane,w1]:--}" "${SUM[$lane,dkms]:--}" "${SUM[$lane,64]:--}" \
			"${SUM[$lane,32]:--}" "${SUM[$lane,mod]:--}" "${SUM[$lane,own]:--}" "${SUM[$lane,time]:--}" \
			"${SUM[$lane,result]:-FAIL}"
	done
	for c in "${EXTRAS[@]}"; do
		printf '# %-25s| %s\n' "$c" "${SUM[extra,$c]:-FAIL}"
	done
}

finish() {
	summary
	tap_end
}

build_programs() {
	build_selftests
	build_tools
}

# (--prepare boots no guest: the chroots' lock alone)
if [ "${1:-}" = --prepare ]; then lane_start; chroot_lock; else setup_start; fi
T0=$SECONDS   # (not counting the wait for the locks)
echo "TAP version 13"
step "host packages" "$OUT/packages.log" install_missing "${HOST_PKGS[@]}" zstd
failed && stop
if printf '%s\n' "${LANES[@]}" | grep -q -- '-arm64$'; then
	step "host packages and binfmt_misc for the arm64 lanes" "$OUT/packages-arm64.log" arm64_host
	failed && stop
fi
if [ "${1:-}" = --prepare ]; then
	# (not the clang kernel: .ci/run prepares while check-debug compiles, and it would compile too)
	for lane in $(printf '%s\n' "${LANES[@]}" bookworm sid | grep -vx clang | sort -u); do
		mkdir -p "$OUT/prepare/$lane"
		step "$lane: chroot, kernel headers and image" "$OUT/prepare/$lane/prepare.log" \
			matrix_prepare "$lane" "$OUT/prepare/$lane"
	done
	if printf '%s\n' "${LANES[@]}" | grep -q -- '-arm64$'; then
		step "the chroot with the arm64 cross compilers" "$OUT/prepare/arm64-cross.log" \
			arm64_cross_chroot
	fi
	tap_finish
fi
step "scratch copy of the tree" "$OUT/copy.log" copy_tree
failed && stop
step "build the selftests (64-bit and 32-bit, static) and ntsync-smoke" "$OUT/selftests.log" build_programs
tests_built=$STEP_RC
ARM64_BUILT=''

for lane in "${LANES[@]}"; do
	run_lane "$lane"
done

for extra in "${EXTRAS[@]}"; do
	f0=$FAIL
	case $extra in
	install)
		for l in bookworm sid; do
			mkdir -p "$OUT/extra-$l"
			step "$l chroot for make install" "$OUT/extra-$l/prepare.log" matrix_prepare "$l" "$OUT/extra-$l"
			failed && continue
			step "make install / make uninstall (root, DESTDIR) in the $l chroot" "$OUT/install-$l.log" \
				install_in_chroot "$l"
			grep -E '^(== |ntsync: )' "$OUT/install-$l.log" | show
		done ;;
	deb)
		for l in bookworm sid; do
			mkdir -p "$OUT/extra-$l"
			step "$l chroot for the package" "$OUT/extra-$l/prepare.log" matrix_prepare "$l" "$OUT/extra-$l"
		done
		step "make deb (bookworm chroot: debhelper, dh-dkms)" "$OUT/deb-build.log" build_deb
		if ! failed; then
			grep -E '^-.*\.deb$| Package:| Version:| Depends:' "$OUT/deb-build.log" | show
			for l in bookworm sid; do
				step "ntsync-dkms: apt install, DKMS build, apt purge in the $l chroot" "$OUT/deb-$l.log" \
					deb_in_chroot "$l"
				[ ! -e "$OUT/deb/$l.status" ] || show "$OUT/deb/$l.status"
			done
		fi ;;
	*) result fail "unknown part $extra of NTSYNC_EXTRAS" ;;
	esac
	[ "$FAIL" = "$f0" ] && SUM[extra,$extra]=PASS || SUM[extra,$extra]=FAIL
done
echo "# total time $((SECONDS - T0))s"
finish
