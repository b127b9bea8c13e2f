#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make check: tools/lint.sh, then the module built for each kernel of the lane (Debian 12's 6.1 on
# the host, sid's newest in a chroot) and booted under QEMU with the 64-bit and 32-bit suites and
# the tests of ntsync-top, of the tracepoints and of ntsync-check; on a kernel with its own ntsync,
# the suites (and ntsync-check's test) run on that too, checked against the intended differences
# of Documentation/ntsync.rst.  Prints TAP and "N passed, N failed".  Documentation/testing.rst
# describes the lane and its settings.
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

read -r -a LANES <<<"${NTSYNC_LANES:-bookworm sid}"

# The guest programs besides the suites: ntsync-top's test (with ntsync-top itself as a helper),
# the tracepoints' test, and ntsync-check's test (with ntsync-check and its two Wine stand-ins as
# helpers), last: it unloads and reloads the module.  On the kernel's own ntsync, ntsync-check's
# test runs again (--intree) for the verdict on that driver.
OBSERVE=(ntsync-top-test ntsync-trace-test ntsync-check-test)
CHECK_HELPERS=(ntsync-check ntsync-check-standin ntsync-check-standin-string)

# build_observe: ntsync-top, ntsync-check and their tests, static, into $OUT/bin.
build_observe() {
	make -C "$OUT/src/tools/ntsync-top" test OUTPUT="$OUT/bin"
	make -C "$OUT/src/tools/ntsync-check" test OUTPUT="$OUT/bin"
	static_bins "$OUT/bin" ntsync-top "${CHECK_HELPERS[@]}" "${OBSERVE[@]}"
}

# intree_module DIR: DIR/ntsync-intree.ko, the lane kernel's own ntsync (uncompressed), if the
# kernel ships one (fetch_kernel keeps it); the suites then run on it too (see guest-init).
intree_module() {
	local dir=$1 abi
	abi=$(cat "$dir/abi")
	if ! intree_ko "$abi" "$dir/ntsync-intree.ko"; then
		rm -f "$dir/ntsync-intree.ko"
		echo " (none: $abi ships no ntsync.ko)" >"$dir/intree.log.note"
		return 0
	fi
	{ printf '%s\n' "${SUITES[@]}"; echo "ntsync-check-test ntsync-check-test --intree"; } \
		>"$dir/payload-intree"
	echo " (${#DIFFERENCES[@]} intended differences listed)" >"$dir/intree.log.note"
}

# devnode_tree DIR: DIR/devnode.d, the rest of what tools/vm/guest-devnode needs, for the
# initramfs: the host's kmod with its libraries as /sbin/kmod, depmod, modinfo and modprobe (the
# kernel's request_module runs /sbin/modprobe), the lane kernel's modules.order and modules.builtin*
# in /lib/modules/ABI, the package's udev rule as /60-ntsync.rules and guest-devnode itself.
devnode_tree() {
	local dir=$1 t=$1/devnode.d abi kmod lib l
	abi=$(cat "$dir/abi")
	rm -rf "$t"
	mkdir -p "$t/sbin" "$t/etc" "$t/lib/modules/$abi"
	kmod=$(command -v kmod)
	cp "$kmod" "$t/sbin/kmod"
	for l in depmod modinfo modprobe; do ln -s kmod "$t/sbin/$l"; done
	for lib in $(ldd "$kmod" | awk '$2 == "=>" { print $3 } $1 ~ /^\// { print $1 }'); do
		cp -L --parents "$lib" "$t/"
	done
	find "$CACHE/kernels/$abi/modules/$abi" -maxdepth 1 -name 'modules.*' \
		-exec cp {} "$t/lib/modules/$abi/" \;
	cp "$OUT/src/debian/ntsync-dkms.udev" "$t/60-ntsync.rules"
	cp "$OUT/src/tools/vm/guest-devnode" "$t/guest-devnode"
}

# parse_lane LANE DIR BOOT-STATUS: the guest's report as TAP.
parse_lane() {
	local intree=()
	[ ! -e "$2/ntsync-intree.ko" ] || intree=("${SUITES[@]/#/intree/}" intree/ntsync-check-test)
	parse_runs "$1" "$2" "${SUITES[@]}" "${OBSERVE[@]}" "${intree[@]}"
	guest_end "$1" "$2" "$3"
}

# checkpatch --strict and sparse/W=1 (tools/lint.sh), each of its checks one result here.
lint_tap() {
	local line log=$OUT/lint.log
	NTSYNC_OUT=$OUT bash "$OUT/src/tools/lint.sh" >"$log" 2>&1 || true
	while IFS= read -r line; do
		case $line in
		"ok "*" - "*)     result ok "lint: ${line#* - }" ;;
		"not ok "*" - "*) result fail "lint: ${line#* - }" ;;
		"#"*)             echo "$line" ;;
		esac
	done <"$log"
	grep -qE '^[0-9]+ passed, [0-9]+ failed$' "$log" ||
		result fail "lint: tools/lint.sh did not finish" "$(tail -n 20 "$log")"
}

setup_start
lane_begin "${HOST_PKGS[@]}"
load_differences "$REPO/Documentation/ntsync.rst"
step "build the selftests (64-bit and 32-bit, static)" "$OUT/selftests.log" build_selftests
tests_built=$STEP_RC
if [ "$tests_built" = 0 ]; then
	step "build ntsync-top, ntsync-check and the guest tests of them and of the tracepoints (static)" \
		"$OUT/observe.log" build_observe
	tests_built=$STEP_RC
fi
lint_tap

for lane in "${LANES[@]}"; do
	d=$OUT/$lane
	rm -rf "$d"
	mkdir -p "$d"
	step "$lane: kernel headers and image" "$d/prepare.log" prepare_kernel "$lane" "$d"
	failed && continue
	abi=$(cat "$d/abi")
	step "$lane: build the module for $abi" "$d/module.log" build_module "$d"
	failed && continue
	[ "$tests_built" = 0 ] || continue
	step "$lane: the kernel's own ntsync, for the suites to run on it too" "$d/intree.log" \
		intree_module "$d"
	failed && continue
	step "$lane: kmod, the kernel's module lists and the udev rule, for /dev/ntsync's test" \
		"$d/devnode.log" devnode_tree "$d"
	failed && continue
	extra=()
	[ ! -e "$d/ntsync-intree.ko" ] || extra=("+$d/ntsync-intree.ko" "+$d/payload-intree")
	INITRD_TREE=$d/devnode.d
	step "$lane: initramfs" "$d/initrd.log" make_initrd "$d" "${SUITES[@]/#/$OUT/bin/}" \
		"${OBSERVE[@]/#/$OUT/bin/}" "+$OUT/bin/ntsync-top" "${CHECK_HELPERS[@]/#/+$OUT/bin/}" \
		"${extra[@]}"
	failed && continue
	say "$lane: booting $abi"
	brc=0
	boot "$d" check || brc=$?
	parse_lane "$lane" "$d" "$brc"
done
finish
