#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make bench: boot the newest Debian sid kernel under QEMU (2 vCPUs, TCG) and, in that one boot,
# alternate the kernel's own ntsync.ko and this tree's with rmmod/insmod, running
# tools/bench/ntsync-bench under each (see guest-init for the schedule).  Prints a Markdown table of
# medians and speed ratios, and writes it with a chart and the raw numbers to build/bench/.
#
#   NTSYNC_BENCH_ROUNDS    rounds (default 10: 20 runs of each case under each module)
#   NTSYNC_BENCH_SECONDS   the time one repetition of a case is calibrated to (default 0.15)
#   NTSYNC_BENCH_SCALE     multiplies every calibrated iteration count (default 1)
#   NTSYNC_BENCH_REPS      timed repetitions per case and run (default 3)
#   NTSYNC_BENCH_PUBLISH   1: also copy the report to tools/bench/results.md and the chart to
#                          Documentation/bench.png; 0 (default): only build/bench.  README.md is
#                          never written (its numbers are copied there by hand)
#   NTSYNC_BENCH_CASES     run only these cases (space-separated names as "ntsync-bench list"
#                          prints them; default: all)
#   NTSYNC_BENCH_LANE      the suite whose kernel is measured (default sid; it must ship ntsync.ko)
#   NTSYNC_BENCH_COMPARE   intree (default): ours against the kernel's ntsync.ko; notrace: ours
#                          (tracepoints compiled in, disabled) against ours built with
#                          NTSYNC_NO_TRACE=1 (compiled out), in the "in-tree" slots; reported as
#                          results-trace.md (build/bench-notrace; published to
#                          tools/bench/results-trace.md only, never README.md)
# and lib.sh's knobs (NTSYNC_CACHE, NTSYNC_OUT, NTSYNC_TIMEOUT, NTSYNC_REFRESH).
# "bench.sh report" analyses (and publishes) the last run again without booting.
set -euo pipefail
BENCHDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${NTSYNC_BENCH_COMPARE:=intree}"
case $NTSYNC_BENCH_COMPARE in
intree)  : "${NTSYNC_OUT:=$(cd "$BENCHDIR/../.." && pwd)/build/bench}" ;;
notrace) : "${NTSYNC_OUT:=$(cd "$BENCHDIR/../.." && pwd)/build/bench-notrace}" ;;
*)       echo "error: NTSYNC_BENCH_COMPARE is intree or notrace" >&2; exit 1 ;;
esac
: "${NTSYNC_TIMEOUT:=2400}"
export NTSYNC_OUT NTSYNC_TIMEOUT
# shellcheck source=tools/vm/lib.sh
. "$BENCHDIR/../vm/lib.sh"

ROUNDS=${NTSYNC_BENCH_ROUNDS:-10}
SECONDS_PER_REP=${NTSYNC_BENCH_SECONDS:-0.15}
SCALE=${NTSYNC_BENCH_SCALE:-1}
REPS=${NTSYNC_BENCH_REPS:-3}
PUBLISH=${NTSYNC_BENCH_PUBLISH:-0}
CASES=${NTSYNC_BENCH_CASES:-}
lane=${NTSYNC_BENCH_LANE:-sid}

# awk with the statistics every analysis below shares (tools/vm/median.awk, stats.awk); each
# analysis is a program of its own in tools/bench/*.awk.
AWK=(awk -f "$VMDIR/median.awk" -f "$BENCHDIR/stats.awk")

# runs RESULTS-LOG: one line "GROUP CASE VALUE BEST" per case and run (runs.awk).
runs() { "${AWK[@]}" -f "$BENCHDIR/runs.awk" "$1"; }

# report RUNS DESCRIPTIONS KERNEL OURS: the Markdown report (stdout) and chart data (to
# $OUT/chart.dat): report.awk.
report() {
	"${AWK[@]}" -v kernel="$3" -v ours="$4" -v rounds="$ROUNDS" -v reps="$REPS" -v scale="$SCALE" \
		-v load0="$LOAD0" -v load1="$LOAD1" -v chart="$OUT/chart.dat" \
		-f "$BENCHDIR/report.awk" "$2" "$1"
}

# chart DATA PNG: the speed of each case with the noise next to it, and the targets (chart.gp).
chart() { gnuplot -e "data='$1'; png='$2'; kernel='$KERNEL'" "$BENCHDIR/chart.gp"; }

# by_round RESULTS-LOG: for NTSYNC_BENCH_COMPARE=notrace, one line "CASE RATIO NOISE" per case,
# the ratio of the builds and their noise taken round by round (by-round.awk).
by_round() { "${AWK[@]}" -f "$BENCHDIR/by-round.awk" "$1"; }

# report_notrace RUNS DESCRIPTIONS KERNEL OURS BY-ROUND: the Markdown report of
# NTSYNC_BENCH_COMPARE=notrace (the "in-tree" groups are then ours with the trace calls compiled
# out).
report_notrace() {
	"${AWK[@]}" -v kernel="$3" -v ours="$4" -v rounds="$ROUNDS" -v reps="$REPS" -v scale="$SCALE" \
		-v secs="$SECONDS_PER_REP" -v load0="$LOAD0" -v load1="$LOAD1" \
		-f "$BENCHDIR/report-notrace.awk" "$2" "$1" "$5"
}

# analyse: the report, chart and (with PUBLISH=1) the published copies, from $OUT/raw.log and
# $OUT/meta (what the boot below leaves).
analyse() {
	local abi lane load0 load1 ours r=$OUT/raw.log
	{ [ -s "$r" ] && [ -s "$OUT/meta" ]; } || die "no benchmark run in $OUT to report on"
	read -r abi lane load0 load1 ours <"$OUT/meta"
	LOAD0=${load0//,/ } LOAD1=${load1//,/ } KERNEL=$abi
	ROUNDS=$(sed -n 's/^@@config rounds=\([0-9]*\).*/\1/p' "$r")
	REPS=$(sed -n 's/^@@config.* reps=\([0-9]*\).*/\1/p' "$r")
	SCALE=$(sed -n 's/^@@config.* scale=\([0-9.]*\).*/\1/p' "$r")
	runs "$r" >"$OUT/runs.txt"
	make -s -C "$BENCHDIR" OUTPUT="$OUT" >/dev/null
	"$OUT/ntsync-bench" list >"$OUT/cases.txt"
	if [ "$NTSYNC_BENCH_COMPARE" = notrace ]; then
		SECONDS_PER_REP=$(sed -n 's/^@@config.* seconds=\([0-9.]*\).*/\1/p' "$r")
		by_round "$r" >"$OUT/by-round.txt"
		report_notrace "$OUT/runs.txt" "$OUT/cases.txt" "$abi (Debian $lane)" "$ours" \
			"$OUT/by-round.txt" >"$OUT/results-trace.md"
		cat "$OUT/results-trace.md"
		echo
		echo "bench: wrote $OUT/results-trace.md, $OUT/runs.txt (per run), $OUT/raw.log"
		[ "$PUBLISH" = 1 ] || return 0
		cp "$OUT/results-trace.md" "$REPO/tools/bench/results-trace.md"
		echo "bench: published to tools/bench/results-trace.md"
		return 0
	fi
	report "$OUT/runs.txt" "$OUT/cases.txt" "$abi (Debian $lane)" "$ours" >"$OUT/results.md"
	chart "$OUT/chart.dat" "$OUT/bench.png"
	cat "$OUT/results.md"
	echo
	echo "bench: wrote $OUT/results.md, $OUT/bench.png, $OUT/runs.txt (per run), $OUT/raw.log"
	[ "$PUBLISH" = 1 ] || return 0
	cp "$OUT/results.md" "$REPO/tools/bench/results.md"
	mkdir -p "$REPO/Documentation"
	cp "$OUT/bench.png" "$REPO/Documentation/bench.png"
	echo "bench: published to tools/bench/results.md and Documentation/bench.png"
}

if [ "${1:-}" = report ]; then	# analyse the last run again, without booting
	exec 4>&1
	analyse
	exit 0
fi

setup_start
load0=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,)
d=$OUT/run
rm -rf "$d" "$OUT/raw.log" "$OUT/meta"
mkdir -p "$d"
install_missing "${HOST_PKGS[@]}" gnuplot-nox
copy_tree
say "preparing the $lane kernel"
prepare_kernel "$lane" "$d"
abi=$(cat "$d/abi")
if [ "$NTSYNC_BENCH_COMPARE" = notrace ]; then
	# The other module: ours with the trace calls compiled out, in the in-tree module's slots.
	say "building the module without its trace calls (NTSYNC_NO_TRACE=1) for $abi"
	mkdir -p "$d/notrace"
	cp "$d/root" "$d/abi" "$d/notrace/"
	build_module "$d/notrace" NTSYNC_NO_TRACE=1
	cp "$d/notrace/ntsync.ko" "$d/ntsync-intree.ko"
else
	intree_ko "$abi" "$d/ntsync-intree.ko" || die "the $abi kernel ships no ntsync.ko"
fi
say "building the module for $abi"
build_module "$d"
say "building the benchmark"
quiet make -C "$OUT/src/tools/bench" OUTPUT="$d"
[ -x "$d/ntsync-bench" ] || die "tools/bench did not produce ntsync-bench"
printf 'ROUNDS=%s\nPER_REP=%s\nSCALE=%s\nREPS=%s\nBASELINE=%s\nCASES="%s"\n' "$ROUNDS" \
	"$SECONDS_PER_REP" "$SCALE" "$REPS" "$NTSYNC_BENCH_COMPARE" "$CASES" >"$d/bench.conf"
INITRD_INIT=$BENCHDIR/guest-init make_initrd "$d" "+$d/ntsync-intree.ko" "+$d/ntsync-bench" \
	"+$d/bench.conf"
say "booting $abi under QEMU: $ROUNDS rounds (a few minutes; progress below)"
start=$SECONDS
rc=0
boot "$d" demo || rc=$?
say "the guest ran $((SECONDS - start)) s"

r=$d/results.log
fail=$(grep '^@@check fail' "$r" || true)
bad=$(bad_klog_lines "$r")
[ -z "$fail" ] || printf 'bench: %s\n' "$fail" "$(grep '^ntsync-bench:' "$r" || true)"
[ -z "$bad" ] || printf 'bench: kernel log shows trouble:\n%s\n' "$bad"
if [ "$rc" != 0 ] || ! grep -q '^@@done' "$r"; then
	die "the guest did not finish (status $rc); console: $d/console.log"
fi
{ [ -z "$fail" ] && [ -z "$bad" ]; } || die "benchmark failed; report: $r, console: $d/console.log"
cp "$r" "$OUT/raw.log"
# What "ours" was: the commit, whether the driver differed from it, the module's srcversion.
ours=$(git -C "$REPO" -c safe.directory="$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$REPO" -c safe.directory="$REPO" diff --quiet HEAD -- '*.c' '*.h' Kbuild 2>/dev/null ||
	ours="$ours+changes"
ours="$ours, srcversion $(modinfo -F srcversion "$d/ntsync.ko")"
echo "$abi $lane $load0 $(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,) $ours" >"$OUT/meta"
analyse
