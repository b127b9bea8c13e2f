#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make check-debug: the module on two debug kernels built here (tools/debug/lib.sh: KASAN or
# KCSAN, lockdep, kmemleak, UBSAN, failslab, KUnit): the module users get must hold no test code;
# the NTSYNC_DEBUG=1 build then runs KUnit, the suites, the fuzzer, fault injection and unloading
# (tools/debug/guest-steps), with a clean kernel log.  Prints TAP and "N passed, N failed".
# Documentation/testing.rst describes the lane and its settings.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export NTSYNC_OUT=${NTSYNC_OUT:-$(cd "$here/../.." && pwd)/build/debug}
# shellcheck source=tools/vm/lib.sh
. "$here/../vm/lib.sh"
# shellcheck source=tools/debug/lib.sh
. "$here/lib.sh"
[ -z "${NTSYNC_SRC:-}" ] || REPO=$(cd "$NTSYNC_SRC" && pwd)

read -r -a FLAVORS <<<"${NTSYNC_DEBUG_FLAVORS:-kasan kcsan}"
FUZZ_SECONDS=${NTSYNC_FUZZ_SECONDS:-150}
SEED=${NTSYNC_FUZZ_SEED:-$(date +%s)}
CYCLES=${NTSYNC_UNLOAD_CYCLES:-20}
FAILSLAB_ROUNDS=${NTSYNC_FAILSLAB_ROUNDS:-10}
# Odd intervals only: kmemleak allocates its own record right after each allocation, and with an
# even interval only those would fail.
FAILSLAB_INTERVALS="1 3 5 7 11"
# A guest runs the suites, the fuzzer and the rest under emulation with every check on.
TIMEOUT=${NTSYNC_TIMEOUT:-$((1200 + FUZZ_SECONDS))}
DEBUG_PKGS=(flex bison bc libelf-dev libssl-dev xz-utils)
# The suites this lane runs: all but ntsync_crowd, whose thousands of waiters would cost the
# debug module's wake-invariant check (a walk of the waiter list at every unlock) n * n / 2 steps.
DEBUG_PROGS=()
for p in "${SUITE_PROGS[@]}"; do
	[ "$p" = ntsync_crowd ] || DEBUG_PROGS+=("$p")
done
DEBUG_SUITES=("${DEBUG_PROGS[@]}" "${DEBUG_PROGS[@]/%/_32}")
build_tools() {
	local p
	build_selftests
	make -C "$OUT/src/tools/fuzz" OUTPUT="$OUT/bin"
	# The 64-bit suite once more as the failslab target of guest-steps selftests-failslab,
	# linked with tools/fuzz/failslab-retry.c (which checks and retries the driver's ENOMEMs),
	# as $OUT/bin/failslab-PROGRAM.
	make -C "$OUT/src/tools/testing/selftests/drivers/ntsync" HARNESS_DIR="$(harness_dir)" \
		OUTPUT="$OUT/failslab" LDFLAGS=-Wl,--wrap=open,--wrap=read,--wrap=close,--wrap=ioctl,--wrap=setuid \
		LDLIBS="$OUT/src/tools/fuzz/failslab-retry.c" "${DEBUG_PROGS[@]/#/$OUT/failslab/}"
	for p in "${DEBUG_PROGS[@]}"; do
		cp "$OUT/failslab/$p" "$OUT/bin/failslab-$p"
	done
}

# payload FLAVOR DIR: make_initrd's payload: the fuzzer, the NTSYNC_DEBUG=1 module and the steps
# of tools/debug/guest-steps in order, each "=NAME guest-steps STEP ARGS"; the kasan kernel's
# leaks-before-unload runs while the module is loaded, so that its leak backtraces have symbols.
payload() {
	local stress model lin s=guest-steps
	lin=$((FUZZ_SECONDS / 5))
	stress=$(((FUZZ_SECONDS - lin) * 2 / 3))
	model=$((FUZZ_SECONDS - lin - stress))
	printf '%s\n' "+$OUT/src/tools/debug/$s" "+$OUT/bin/ntsync-fuzz" "+$OUT/bin/ntsync-fuzz_32" \
		"+$2/ntsync-debug.ko" "=prep $s prep" "${DEBUG_SUITES[@]/#/$OUT/bin/}" \
		"=fuzz-stress $s stress $stress $SEED" "=fuzz-model $s model $model $((SEED + 7))" \
		"=fuzz-model-waiters $s model-waiters $model $((SEED + 13))" \
		"=fuzz-lincheck $s lincheck $lin $((SEED + 19))"
	[ "$1" != kasan ] || printf '%s\n' "${DEBUG_PROGS[@]/#/+$OUT/bin/failslab-}" \
		"=selftests-failslab $s selftests-failslab $FAILSLAB_INTERVALS" \
		"=failslab $s failslab $FAILSLAB_ROUNDS $FAILSLAB_INTERVALS" \
		"=leaks-before-unload $s leaks after-fault-injection" "=unload $s unload $CYCLES"
	echo "=leaks $s leaks at-the-end"
}

# KUnit's KTAP in the guest's kernel log: the first run's cases one by one, then every run.
parse_kunit() {
	local flavor=$1 log=$2 kind name rest runs=0 bad=0 notes=''
	while IFS=$'\t' read -r kind name rest; do
		case $kind in
		case) result "$name" "$flavor: KUnit ntsync: $rest" ;;
		note) notes+=${notes:+$'\n'}$rest ;;
		suite) runs=$((runs + 1)); [ "$name" = ok ] || bad=$((bad + 1)) ;;
		esac
	done < <(sed -n '/^@@dmesg-begin/,/^@@dmesg-end/p' "$log" | sed -E 's/^\[ *[0-9.]+\] //' |
		awk '/^ *# Subtest: ntsync$/ { run++; on = 1; next }
		     on && /^    (not )?ok [0-9]+ / && run == 1 {
			r = $1 == "ok" ? "ok" : "fail"; sub(/^ *(not )?ok [0-9]+ /, "")
			printf "case\t%s\t%s\n", r, $0; next }
		     on && /^    # / && run == 1 { sub(/^ *# /, ""); printf "note\t-\t%s\n", $0; next }
		     on && /^(not )?ok [0-9]+ ntsync/ { printf "suite\t%s\t-\n", $1 == "ok" ? "ok" : "fail"; on = 0 }')
	if [ "$runs" = 0 ]; then
		result fail "$flavor: KUnit ntsync: the suite ran when the module loaded" "$notes"
	elif [ "$bad" = 0 ]; then
		result ok "$flavor: KUnit ntsync: the suite passed on every load ($runs runs)"
	else
		result fail "$flavor: KUnit ntsync: the suite passed on every load ($bad of $runs runs failed)" "$notes"
	fi
}

# parse_debug FLAVOR DIR BOOT-STATUS: the guest's report as TAP.
parse_debug() {
	local flavor=$1 dir=$2 brc=$3
	local -a want
	mapfile -t want <"$dir/initrd.list"
	parse_runs "$flavor" "$dir" "${want[@]}"
	parse_kunit "$flavor" "$dir/results.log"
	guest_end "$flavor" "$dir" "$brc"
}

# This lane's own lock serialises its runs (kernel builds included), and the lock shared with the
# other lanes is only held while a guest runs.
lane_start
mkdir -p "$DEBUG_CACHE"
exec 8>"$DEBUG_CACHE/lock"
flock -n 8 || { say "waiting for the other run that holds $DEBUG_CACHE/lock"; flock 8; }
lane_begin "${HOST_PKGS[@]}" "${DEBUG_PKGS[@]}"
echo "# fuzzer seed $SEED (NTSYNC_FUZZ_SEED), ${FUZZ_SECONDS}s of fuzzing per kernel"
step "build the selftests and the fuzzer (64-bit and 32-bit, static)" "$OUT/tools.log" build_tools
failed && stop

for flavor in "${FLAVORS[@]}"; do
	d=$OUT/$flavor
	rm -rf "$d"
	mkdir -p "$d"
	step "$flavor: debug kernel (tinyconfig + debug.config + $flavor.config)" "$d/prepare.log" \
		prepare_debug "$flavor" "$d"
	failed && continue
	step "$flavor: build the modules against it, with and without NTSYNC_DEBUG=1" "$d/module.log" \
		build_modules "$d"
	failed && continue
	mapfile -t files < <(payload "$flavor" "$d")
	printf '%s\n' "${files[@]}" | sed -n 's/^=\([^ ]*\).*/\1/p; /^[^+=]/s,.*/,,p' >"$d/initrd.list"
	step "$flavor: initramfs" "$d/initrd.log" make_initrd "$d" "${files[@]}"
	failed && continue
	say "$flavor: booting $(cat "$d/abi") (about $((FUZZ_SECONDS / 60 + 3)) minutes)"
	guest_lock
	brc=0
	boot "$d" check || brc=$?
	exec 9>&-
	parse_debug "$flavor" "$d" "$brc"
done
finish
