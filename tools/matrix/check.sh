#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make check-matrix: the module on every Debian stock kernel from 5.10 on, PREEMPT_RT, arm64 and
# clang-built ones too, installed the way a distribution installs it.  Per kernel: the W=1 build
# in the suite's chroot, make dkms-install / dkms-remove in an overlay of it, and a boot with the
# DKMS-installed module tree (the suites, then tools/matrix/guest-matrix); then, once, make
# install and make deb (tools/matrix/chroot/).  Prints TAP, a summary table and "N passed, N
# failed".  With --prepare it only fills the cache (chroots, kernels), as .ci/run does while
# check-debug compiles.  Documentation/testing.rst describes the lane and its settings.
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
# The chroots of make install and the packages: Debian 12 (no linux/ntsync.h), 13 (trixie's
# linux-libc-dev, the early header; its kernel from trixie-backports) and sid (the complete one).
read -r -a EXTRA_SUITES <<<"${NTSYNC_EXTRA_SUITES-bookworm trixie-backports sid}"
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

# new_overlay OVL: an empty OVL with the scratch copy of the tree at OVL/xfer/src, for in_overlay.
new_overlay() {
	rm -rf "$1"
	mkdir -p "$1/upper" "$1/work" "$1/merged" "$1/xfer"
	cp -a "$OUT/src" "$1/xfer/src"
}
# in_overlay ROOT OVL CMD...: run CMD in a copy-on-write view of the chroot ROOT: changes land in
# OVL/upper and vanish with it; the cached chroot stays as it was.  OVL/xfer is /xfer inside.
in_overlay() {
	cp /etc/resolv.conf "$1/etc/resolv.conf"
	unshare -m -- "$REPO/tools/matrix/in-overlay" "$@"
}

# --- a kernel lane -------------------------------------------------------------------------

# dkms_lane DIR: make dkms-install and dkms-remove for the lane's kernel in an overlay of its
# chroot (tools/matrix/chroot/dkms); the module tree the guest gets in DIR/modtree, the installed
# module, uncompressed, as DIR/ntsync.ko.
dkms_lane() {
	local dir=$1 root abi ovl=$1/ovl ko ver dver
	root=$(cat "$dir/root")
	abi=$(cat "$dir/abi")
	new_overlay "$ovl"
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
	rm -rf "$ovl"
}

ntsync_version() { make -s --no-print-directory -C "$OUT/src" version; }

# Static programs every amd64 guest gets: the smoke test (arm64_programs builds the arm64 ones).
build_tools() {
	mkdir -p "$OUT/bin"
	gcc -O2 -Wall -Wextra -Werror -static -I"$OUT/src/include/uapi" \
		-o "$OUT/bin/ntsync-smoke" "$OUT/src/tools/matrix/ntsync-smoke.c"
}

# matrix_initrd DIR: make_initrd's initramfs (the suites and guest-matrix as payload), plus a
# second cpio archive with the module tree, kmod with its libraries, the smoke test and the
# expected version; busybox and kmod are the host's, or an arm64 lane's chroot's.
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

# parse_lane LANE DIR BOOT-STATUS: the guest's report as TAP, and the lane's summary cells: the
# suites' tests passed/planned, 64-bit and 32-bit, and guest-matrix's tests, "vs. the kernel's"
# apart.
parse_lane() {
	local lane=$1 r=$2/results.log b p pass plan
	parse_runs "$lane" "$2" "${SUITES[@]}" guest-matrix
	for b in 64 32; do
		pass=0 plan=0
		for p in "${SUITE_PROGS[@]}"; do
			[ $b = 64 ] || p=${p}_32
			pass=$((pass + ${RUN_PASS[$p]:-0})) plan=$((plan + ${RUN_PLAN[$p]:-0}))
		done
		SUM[$lane,$b]=$pass/$plan
		[ "$plan" != 0 ] || SUM[$lane,$b]=none
	done
	SUM[$lane,mod]=$(tap_cell "$r" mod) SUM[$lane,own]=$(tap_cell "$r" own)
	if ! grep -q '^@@run guest-matrix$' "$r"; then
		SUM[$lane,mod]="did not run" SUM[$lane,own]=-
	elif [ -z "${RUN_PLAN[guest-matrix]:-}" ]; then
		SUM[$lane,mod]+=", unfinished"
	elif grep -q '^@@info the kernel ships no' "$r"; then
		SUM[$lane,own]="n/a (none shipped)"
	fi
	guest_end "$lane" "$2" "$3"
}

# tap_cell RESULTS-LOG own|mod: "N ok" or "N FAILED" of guest-matrix's tests named "vs. the
# kernel's" (own) or of the others and guest-init's checks (mod).
tap_cell() {
	local t bad v=()
	[ "$2" = own ] || v=(-v)
	t=$({ sed -n 's/^@@check ok /ok 0 - /p; s/^@@check fail /not ok 0 - /p' "$1"
	      sed -n '/^@@run guest-matrix$/,/^@@exit guest-matrix /p' "$1"; } |
		grep -E '^(not )?ok [0-9]+ - ' | grep "${v[@]}" -E '^(not )?ok [0-9]+ - vs\. the kernel' || true)
	bad=$(grep -c '^not ok' <<<"$t" || true)
	if [ "$bad" != 0 ]; then echo "$bad FAILED"; else echo "$(grep -c '^ok' <<<"$t" || true) ok"; fi
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
	[ "$tests_built" = 0 ] || return 0
	if [ "$(cat "$d/arch")" = arm64 ] && [ -z "$ARM64_BUILT" ]; then
		step "the selftests for arm64 (aarch64 and 32-bit arm, static) and ntsync-smoke" \
			"$OUT/selftests-arm64.log" arm64_programs
		ARM64_BUILT=$STEP_RC
	fi
	[ "$(cat "$d/arch")" = amd64 ] || [ "$ARM64_BUILT" = 0 ] || return 0
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
# of LANE's chroot (tools/matrix/chroot/install says what they must do).
install_in_chroot() {
	local lane=$1 root=$CACHE/chroots/$1 ovl=$OUT/install-$1 abi
	abi=$(kernel_abi "$root")
	new_overlay "$ovl"
	in_overlay "$root" "$ovl" bash /xfer/src/tools/matrix/chroot/install "$abi"
	rm -rf "$ovl"
}

# --- the Debian package --------------------------------------------------------------------

# build_deb: "make deb" in an overlay of the bookworm chroot (debhelper, dh-dkms); the package
# lands in OUT/deb/.
build_deb() {
	local ovl=$OUT/deb-build
	new_overlay "$ovl"
	in_overlay "$CACHE/chroots/bookworm" "$ovl" sh /xfer/src/tools/matrix/chroot/deb-build
	rm -rf "$OUT/deb"
	mkdir -p "$OUT/deb"
	cp "$ovl"/xfer/src/build/deb/*.deb "$OUT/deb/"
	rm -rf "$ovl"
	ls "$OUT/deb/ntsync-dkms_$(ntsync_version)_all.deb"
}

# deb_in_chroot LANE: the packages installed and purged with apt in an overlay of LANE's chroot
# (tools/matrix/chroot/deb); its dkms status and header lines in OUT/deb/LANE.status for the
# report.
deb_in_chroot() {
	local lane=$1 ovl=$OUT/deb-$1 abi ver
	abi=$(kernel_abi "$CACHE/chroots/$lane")
	ver=$(ntsync_version)
	new_overlay "$ovl"
	cp "$OUT/deb/ntsync-dkms_${ver}_all.deb" "$OUT/deb/ntsync-tools_${ver}"_*.deb \
		"$OUT/deb/ntsync-dev_${ver}"_*.deb "$ovl/xfer/"
	cp -a "$CACHE/kernels/$abi/modules/$abi" "$ovl/xfer/kernel-modules"
	in_overlay "$CACHE/chroots/$lane" "$ovl" sh /xfer/src/tools/matrix/chroot/deb "$abi" "$ver"
	cp "$ovl/xfer/status" "$OUT/deb/$lane.status"
	rm -rf "$ovl"
}

# setup_in_chroot LANE: tools/setup.sh run twice and undone in an overlay of LANE's chroot without a
# network (tools/matrix/chroot/setup): first, with the network, setup-fetch puts the dependencies'
# packages into the overlay's apt cache; our packages come from the tree, built by setup.sh.  Its
# lines for the report in OUT/setup-LANE.status.
setup_in_chroot() {
	local lane=$1 ovl=$OUT/setup-$1 abi ver
	abi=$(kernel_abi "$CACHE/chroots/$lane")
	ver=$(ntsync_version)
	new_overlay "$ovl"
	rm -rf "$ovl/xfer/src/build"
	cp -a "$CACHE/kernels/$abi/modules/$abi" "$ovl/xfer/kernel-modules"
	in_overlay "$CACHE/chroots/$lane" "$ovl" sh /xfer/src/tools/matrix/chroot/setup-fetch
	unshare -m -n -- "$REPO/tools/matrix/in-overlay" "$CACHE/chroots/$lane" "$ovl" \
		sh /xfer/src/tools/matrix/chroot/setup "$abi" "$ver"
	cp "$ovl/xfer/status" "$OUT/setup-$lane.status"
	rm -rf "$ovl"
}

# wine_in_chroot LANE: Wine's configure and its server's ntsync code against ntsync-dev in an
# overlay of LANE's chroot (tools/matrix/chroot/wine-configure), from Wine's source tarball.
WINE_TARBALL=${NTSYNC_WINE_TARBALL:-$(cd "$REPO/.." && pwd)/shared/wine/wine-11.10-tkg.tar.xz}
wine_in_chroot() {
	local lane=$1 ovl=$OUT/wine-$1 ver
	ver=$(ntsync_version)
	[ -f "$WINE_TARBALL" ] || die "no Wine tarball at $WINE_TARBALL (NTSYNC_WINE_TARBALL)"
	new_overlay "$ovl"
	cp "$OUT/deb/ntsync-dev_${ver}"_*.deb "$ovl/xfer/"
	cp "$WINE_TARBALL" "$ovl/xfer/wine.tar.xz"
	in_overlay "$CACHE/chroots/$lane" "$ovl" sh /xfer/src/tools/matrix/chroot/wine-configure "$ver"
	rm -rf "$ovl"
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

# (--prepare, and a run of no kernel lane, boots no guest: the chroots' lock alone)
if [ "${1:-}" = --prepare ] || [ ${#LANES[@]} = 0 ]; then lane_start; chroot_lock; else setup_start; fi
T0=$SECONDS   # (not counting the wait for the locks)
lane_begin "${HOST_PKGS[@]}" zstd
if printf '%s\n' "${LANES[@]}" | grep -q -- '-arm64$'; then
	step "host packages and binfmt_misc for the arm64 lanes" "$OUT/packages-arm64.log" arm64_host
	failed && stop
fi
if [ "${1:-}" = --prepare ]; then
	# (not the clang kernel: .ci/run prepares while check-debug compiles, and it would compile too)
	for lane in $(printf '%s\n' "${LANES[@]}" "${EXTRA_SUITES[@]}" | grep -vx clang | sort -u); do
		mkdir -p "$OUT/prepare/$lane"
		step "$lane: chroot, kernel headers and image" "$OUT/prepare/$lane/prepare.log" \
			matrix_prepare "$lane" "$OUT/prepare/$lane"
	done
	if printf '%s\n' "${LANES[@]}" | grep -q -- '-arm64$'; then
		step "the chroot with the arm64 cross compilers" "$OUT/prepare/arm64-cross.log" \
			arm64_cross_chroot
	fi
	tap_end
	exit
fi
step "build the selftests (64-bit and 32-bit, static) and ntsync-smoke" "$OUT/selftests.log" build_programs
tests_built=$STEP_RC
ARM64_BUILT=''
DEB_BUILT=''

for lane in "${LANES[@]}"; do
	run_lane "$lane"
done

for extra in "${EXTRAS[@]}"; do
	f0=$FAIL
	case $extra in
	install)
		for l in "${EXTRA_SUITES[@]}"; do
			mkdir -p "$OUT/extra-$l"
			step "$l chroot for make install" "$OUT/extra-$l/prepare.log" matrix_prepare "$l" "$OUT/extra-$l"
			failed && continue
			step "make install / make uninstall (root, DESTDIR) in the $l chroot" "$OUT/install-$l.log" \
				install_in_chroot "$l"
			grep -E '^(== |ntsync: )' "$OUT/install-$l.log" | show
		done ;;
	deb)
		# (bookworm's chroot builds the packages)
		for l in $(printf '%s\n' bookworm "${EXTRA_SUITES[@]}" | awk '!seen[$0]++'); do
			mkdir -p "$OUT/extra-$l"
			step "$l chroot for the package" "$OUT/extra-$l/prepare.log" matrix_prepare "$l" "$OUT/extra-$l"
		done
		step "make deb (bookworm chroot: debhelper, dh-dkms)" "$OUT/deb-build.log" build_deb
		if ! failed; then
			DEB_BUILT=1
			grep -E '^-.*\.deb$| Package:| Version:| Depends:' "$OUT/deb-build.log" | show
			for l in "${EXTRA_SUITES[@]}"; do
				step "the packages: apt install, DKMS build, Wine's header tests, apt purge in the $l chroot" \
					"$OUT/deb-$l.log" deb_in_chroot "$l"
				[ ! -e "$OUT/deb/$l.status" ] || show "$OUT/deb/$l.status"
			done
		fi ;;
	setup)
		# (not by default: tools/setup.sh, the one-command install, offline in each chroot)
		for l in "${EXTRA_SUITES[@]}"; do
			mkdir -p "$OUT/extra-$l"
			step "$l chroot for tools/setup.sh" "$OUT/extra-$l/prepare.log" matrix_prepare "$l" "$OUT/extra-$l"
			failed && continue
			step "tools/setup.sh offline in the $l chroot: headers gone, --dry-run, twice (the second changes nothing), --undo twice" \
				"$OUT/setup-$l.log" setup_in_chroot "$l"
			[ ! -e "$OUT/setup-$l.status" ] || show "$OUT/setup-$l.status"
		done ;;
	wine)
		# (not by default: Wine's configure takes a minute or more a suite; the packages
		# "deb" made, or made here.)  Each suite's own linux-libc-dev: no header (bookworm),
		# the early one (trixie-backports: Debian 13's), the complete one (sid).
		if [ -z "$DEB_BUILT" ]; then
			mkdir -p "$OUT/extra-bookworm"
			step "bookworm chroot for the package" "$OUT/extra-bookworm/prepare.log" \
				matrix_prepare bookworm "$OUT/extra-bookworm"
			failed || step "make deb (bookworm chroot: debhelper, dh-dkms)" "$OUT/deb-build.log" build_deb
			failed || DEB_BUILT=1
		fi
		for l in "${EXTRA_SUITES[@]}"; do
			[ -n "$DEB_BUILT" ] || break
			mkdir -p "$OUT/extra-$l"
			step "$l chroot for Wine's configure" "$OUT/extra-$l/prepare.log" matrix_prepare "$l" "$OUT/extra-$l"
			failed && continue
			step "Wine's configure with ntsync-dev, no CPPFLAGS, in the $l chroot: HAVE_LINUX_NTSYNC_H, its server's ntsync code" \
				"$OUT/wine-$l.log" wine_in_chroot "$l"
			grep -E '^(linux-libc-dev|checking|configure:|#define|server/)' "$OUT/wine-$l.log" | show || true
		done ;;
	*) result fail "unknown part $extra of NTSYNC_EXTRAS" ;;
	esac
	[ "$FAIL" = "$f0" ] && SUM[extra,$extra]=PASS || SUM[extra,$extra]=FAIL
done
echo "# total time $((SECONDS - T0))s"
finish
