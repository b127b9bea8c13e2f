#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make bench: boot the newest Debian sid kernel under QEMU and, in that one boot, alternate the
# kernel's own ntsync.ko and this tree's, running tools/bench/ntsync-bench under each
# (tools/bench/guest-init); the report (tools/bench/*.awk) and chart go to build/bench/.
# "bench.sh report" analyses the last run again without booting.  Documentation/testing.rst
# describes the benchmark and its settings.
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

# analyse: the report (tools/bench/report.awk, or report-notrace.awk with by-round.awk), the
# chart (chart.gp) and (with PUBLISH=1) the published copies, from $OUT/raw.log and $OUT/meta
# (what the boot below leaves).  The awk programs share tools/vm/median.awk and stats.awk.
analyse() {
	local abi lane load0 load1 ours r=$OUT/raw.log name=results png=
	local awk=(awk -f "$VMDIR/median.awk" -f "$BENCHDIR/stats.awk")
	{ [ -s "$r" ] && [ -s "$OUT/meta" ]; } || die "no benchmark run in $OUT to report on"
	read -r abi lane load0 load1 ours <"$OUT/meta"
	ROUNDS=$(sed -n 's/^@@config rounds=\([0-9]*\).*/\1/p' "$r")
	REPS=$(sed -n 's/^@@config.* reps=\([0-9]*\).*/\1/p' "$r")
	SCALE=$(sed -n 's/^@@config.* scale=\([0-9.]*\).*/\1/p' "$r")
	SECONDS_PER_REP=$(sed -n 's/^@@config.* seconds=\([0-9.]*\).*/\1/p' "$r")
	awk=("${awk[@]}" -v kernel="$abi (Debian $lane)" -v ours="$ours" -v rounds="$ROUNDS"
	     -v reps="$REPS" -v scale="$SCALE" -v load0="${load0//,/ }" -v load1="${load1//,/ }")
	"${awk[@]}" -f "$BENCHDIR/runs.awk" "$r" >"$OUT/runs.txt"
	make -s -C "$BENCHDIR" OUTPUT="$OUT" >/dev/null
	"$OUT/ntsync-bench" list >"$OUT/cases.txt"
	if [ "$NTSYNC_BENCH_COMPARE" = notrace ]; then
		name=results-trace
		"${awk[@]}" -f "$BENCHDIR/by-round.awk" "$r" >"$OUT/by-round.txt"
		"${awk[@]}" -v secs="$SECONDS_PER_REP" -f "$BENCHDIR/report-notrace.awk" \
			"$OUT/cases.txt" "$OUT/runs.txt" "$OUT/by-round.txt" >"$OUT/$name.md"
	else
		"${awk[@]}" -v chart="$OUT/chart.dat" -f "$BENCHDIR/report.awk" \
			"$OUT/cases.txt" "$OUT/runs.txt" >"$OUT/$name.md"
		gnuplot -e "data='$OUT/chart.dat'; png='$OUT/bench.png'; kernel='$abi'" "$BENCHDIR/chart.gp"
		png=bench.png
	fi
	cat "$OUT/$name.md"
	echo
	echo "bench: wrote $OUT/$name.md, ${png:+$OUT/$png, }$OUT/runs.txt (per run), $OUT/raw.log"
	[ "$PUBLISH" = 1 ] || return 0
	cp "$OUT/$name.md" "$REPO/tools/bench/$name.md"
	[ -z "$png" ] || cp "$OUT/$png" "$REPO/Documentation/$png"
	echo "bench: published to tools/bench/$name.md${png:+ and Documentation/$png}"
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
if ! guest_clean bench "$d" "$rc"; then
	grep '^ntsync-bench:' "$r" || true
	die "benchmark failed; report: $r, console: $d/console.log"
fi
cp "$r" "$OUT/raw.log"
# What "ours" was: the commit, whether the driver differed from it, the module's srcversion.
ours=$(git -C "$REPO" -c safe.directory="$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$REPO" -c safe.directory="$REPO" diff --quiet HEAD -- '*.c' '*.h' Kbuild 2>/dev/null ||
	ours="$ours+changes"
ours="$ours, srcversion $(modinfo -F srcversion "$d/ntsync.ko")"
echo "$abi $lane $load0 $(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,) $ours" >"$OUT/meta"
analyse
