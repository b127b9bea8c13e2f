#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# shellcheck disable=SC2317  # (functions run through step look unreachable)
# make check: build the module for every kernel of the lane (Debian bookworm's stock 6.1 on the
# host, the newest Debian sid kernel in a sid chroot), boot each kernel under QEMU with the module
# and the 64-bit and 32-bit kselftest suites, and report everything as TAP.  The last line is
# "N passed, N failed" (a skipped test counts as failed); any failure makes the exit status non-zero.
# NTSYNC_LANES="bookworm sid" picks kernels; see lib.sh for the other knobs.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

read -r -a LANES <<<"${NTSYNC_LANES:-bookworm sid}"
SUITES=(ntsync ntsync_32)
build_selftests() {
	local h b
	h=$(harness_dir)
	rm -rf "${OUT:?}/bin"
	mkdir -p "$OUT/bin"
	make -C "$OUT/src/tools/testing/selftests/drivers/ntsync" HARNESS_DIR="$h" OUTPUT="$OUT/bin"
	for b in "${SUITES[@]}"; do
		[ -x "$OUT/bin/$b" ] || die "the suite's Makefile did not produce $b"
		if readelf -l "$OUT/bin/$b" | grep -q 'program interpreter'; then
			die "$b is not a static binary"
		fi
	done
}

# parse_lane LANE DIR BOOT-STATUS: the guest's report as TAP.
parse_lane() {
	local lane=$1 dir=$2 brc=$3 line suite='' done='' s
	local -A ran=()
	while IFS= read -r line; do
		case $line in
		"@@check ok "*)   result ok "$lane: ${line#@@check ok }" ;;
		"@@check fail "*) result fail "$lane: ${line#@@check fail }" ;;
		"@@run "*)        suite=${line#@@run }; ran[$suite]=1; prog_start ;;
		"@@exit "*)       prog_exit "$lane: $suite" "${line##* }"; suite='' ;;
		"@@done")         done=1 ;;
		*)                [ -z "$suite" ] || prog_line "$lane: $suite" "$line" ;;
		esac
	done <"$dir/results.log"
	[ -z "$suite" ] || result fail "$lane: $suite: did not finish"
	for s in "${SUITES[@]}"; do
		[ -n "${ran[$s]:-}" ] || result fail "$lane: $s: did not run"
	done
	guest_end "$lane" "$dir" "$brc" "$done"
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
echo "TAP version 13"
step "host packages" "$OUT/packages.log" install_missing "${HOST_PKGS[@]}"
failed && finish
step "scratch copy of the tree" "$OUT/copy.log" copy_tree
failed && finish
step "build the selftests (64-bit and 32-bit, static)" "$OUT/selftests.log" build_selftests
tests_built=$STEP_RC
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
	step "$lane: initramfs" "$d/initrd.log" make_initrd "$d" "${SUITES[@]/#/$OUT/bin/}"
	failed && continue
	say "$lane: booting $abi"
	brc=0
	boot "$d" check || brc=$?
	parse_lane "$lane" "$d" "$brc"
done
finish
