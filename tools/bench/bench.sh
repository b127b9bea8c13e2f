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

# The statistics every analysis below shares, prepended to its awk program: lib.sh's median and
# med() and lo(), which read the runs as the reports store them: val[GROUP, CASE, I] for I up to
# cnt[GROUP, CASE].
AWK_STATS=$AWK_MEDIAN'
	# med(GROUPS, CASE): median over the runs of the groups (space-separated) for the case.
	function med(groups, c,    g, ng, k, i, n, a) {
		ng = split(groups, g, " ")
		n = 0
		for (k = 1; k <= ng; k++)
			for (i = 1; i <= cnt[g[k], c]; i++) a[++n] = val[g[k], c, i]
		return n ? median(a, n) : -1
	}
	# lo(GROUPS, CASE): the lowest of those runs.
	function lo(groups, c,    g, ng, k, i, m) {
		ng = split(groups, g, " "); m = -1
		for (k = 1; k <= ng; k++)
			for (i = 1; i <= cnt[g[k], c]; i++) if (m < 0 || val[g[k], c, i] < m) m = val[g[k], c, i]
		return m
	}
	function ns(x) { return x < 0 ? "—" : x >= 100 ? sprintf("%.0f", x) : sprintf("%.1f", x) }
'

# runs RESULTS-LOG: one line "GROUP CASE VALUE BEST" per case and run, VALUE being the median of
# the run's repetitions (ns/op) or "n/a", BEST their minimum; GROUP is intree-A, intree-B, ours or
# floors.
runs() {
	awk "$AWK_STATS"'
	/^@@run / { group = $2; next }
	/^@@exit / { group = ""; next }
	/^@b / && group != "" {
		if ($3 == "n/a") { print group, $2, "n/a"; next }
		n = 0
		for (i = 3; i <= NF; i++) v[++n] = $i + 0
		printf "%s %s %.1f %.1f\n", group, $2, median(v, n), v[1]
	}' "$1"
}

# report RUNS DESCRIPTIONS KERNEL OURS: the Markdown report (stdout) and chart data (to $OUT/chart.dat).
report() {
	awk -v kernel="$3" -v ours="$4" -v rounds="$ROUNDS" -v reps="$REPS" -v scale="$SCALE" \
	    -v load0="$LOAD0" -v load1="$LOAD1" -v chart="$OUT/chart.dat" "$AWK_STATS"'
	# fastest(GROUPS, CASE): the fastest repetition of any run of the groups.
	function fastest(groups, c,    g, ng, k, i, m) {
		ng = split(groups, g, " "); m = -1
		for (k = 1; k <= ng; k++)
			for (i = 1; i <= cnt[g[k], c]; i++) if (m < 0 || best[g[k], c, i] < m) m = best[g[k], c, i]
		return m
	}
	function hi(groups, c,    g, ng, k, i, m) {
		ng = split(groups, g, " "); m = -1
		for (k = 1; k <= ng; k++)
			for (i = 1; i <= cnt[g[k], c]; i++) if (val[g[k], c, i] > m) m = val[g[k], c, i]
		return m
	}
	# rmed(GROUPS, C1, C2): median over the runs of C1 / C2 within the same run.
	function rmed(groups, c1, c2,    g, ng, k, i, n, a) {
		ng = split(groups, g, " ")
		n = 0
		for (k = 1; k <= ng; k++)
			for (i = 1; i <= cnt[g[k], c1]; i++)
				if (val[g[k], c2, i] > 0) a[++n] = val[g[k], c1, i] / val[g[k], c2, i]
		return n ? median(a, n) : -1
	}
	function ratio(a, b) { return a > 0 && b > 0 ? sprintf("%.2fx", a / b) : "—" }
	function spread(a, b) { return a > 0 && b > 0 ? (a > b ? a / b : b / a) : 1 }
	# table(SHAPES, FLOOR): the rows of the cases of those shapes; FLOOR is the unknown-ioctl
	# case of the shape, whose speed is the second noise figure (both modules run the same
	# code there: what is left is the spread between module loads).
	function table(shapes, floor,    k, c, t, o, a, b, tg, sp, nz, ld, goal, met, base, w) {
		ld = spread(med("intree-A intree-B", floor), med("ours", floor))
		print "| case | in-tree ns/op | ours ns/op | speed (in-tree/ours) | noise (A/B) | target | met | fastest: speed | noise |"
		print "|---|---:|---:|---:|---:|---:|:---:|---:|---:|"
		for (k = 1; k <= ncases; k++) {
			c = order[k]
			if (kind[c] != "driver" || index(shapes, " " shape[c] " ") == 0) continue
			if (!cnt["ours", c]) continue	# (not run: NTSYNC_BENCH_CASES)
			base = c; sub(/\.mt$/, "", base)
			t = med("intree-A intree-B", c); o = med("ours", c)
			a = med("intree-A", c); b = med("intree-B", c)
			goal = shape[c] == "st" ? (base in st_target ? st_target[base] : 1) \
					       : (base in mt_target ? mt_target[base] : 1)
			tg = base == "unknown-ioctl" ? "(floor)" : sprintf("≥ %.1fx", goal)
			sp = t > 0 && o > 0 ? t / o : 0
			nz = spread(a, b)
			# Below 1.0 by less than the larger of the two noise figures: noise.
			met = sp >= goal ? "yes" : goal == 1 && sp * (nz > ld ? nz : ld) >= 1 ? "noise" : "**no**"
			if (nz >= 1.5) met = "too noisy"
			if (base == "unknown-ioctl") met = ""
			printf "| `%s` | %s | %s | **%s** | %s | %s | %s | %s | %s |\n", c, ns(t), ns(o), ratio(t, o),
			       ratio(a, b), tg, met, ratio(fastest("intree-A intree-B", c), fastest("ours", c)),
			       ratio(fastest("intree-A", c), fastest("intree-B", c))
			if (base != "unknown-ioctl")
				printf "%s %.4f %.4f %.2f\n", c, (t > 0 && o > 0 ? t / o : 0),
				       (a > 0 && b > 0 ? a / b : 0), goal >chart
			tt[c] = t; oo[c] = o
		}
		print ""
		printf "Noise: *A/B* is the in-tree module against itself in this boot; the load noise is " \
		       "`%s`, which runs the same code in both modules (in-tree/ours): **%s**. A speed " \
		       "within both of 1 means nothing.\n\n", floor, ratio(med("intree-A intree-B", floor), med("ours", floor))
		printf "A signaled WAIT_ANY costs **%.2f×** an unknown ioctl on the same kind of fd (the " \
		       "cost of reaching the driver at all) with the in-tree module, **%.2f×** with ours " \
		       "(median over the runs of the two measured in the same run).\n\n",
		       rmed("intree-A intree-B", (floor ~ /\.mt$/ ? "wait-any-signaled.mt" : "wait-any-signaled"), floor),
		       rmed("ours", (floor ~ /\.mt$/ ? "wait-any-signaled.mt" : "wait-any-signaled"), floor)
		w = floor ~ /\.mt$/ ? "wait-any-signaled.mt" : "wait-any-signaled"
		printf "The same from the fastest repetitions: **%s** with the in-tree module, **%s** with " \
		       "ours.\n\n", ratio(fastest("intree-A intree-B", w), fastest("intree-A intree-B", floor)),
		       ratio(fastest("ours", w), fastest("ours", floor))
	}
	FNR == 1 { file++ }
	file == 1 { name = $1; kind[name] = $2; shape[name] = $3; sub(/^[^\t]*\t[^\t]*\t[^\t]*\t/, "")
		    desc[name] = $0; order[++ncases] = name; next }
	file == 2 {
		if ($3 == "n/a") { na[$1, $2] = 1; next }
		val[$1, $2, ++cnt[$1, $2]] = $3
		best[$1, $2, cnt[$1, $2]] = $4
	}
	END {
		st_target["wait-any-signaled"] = 1.4; st_target["wait-any-64-last"] = 1.5
		st_target["sem-release-wait"] = 1.3
		mt_target["wait-any-signaled"] = 1.6; mt_target["wait-all-8"] = 1.1
		mt_target["event-set-reset"] = 1.1
		for (k = 1; k <= ncases && !cnt["ours", order[k]]; k++) ;
		nA = cnt["intree-A", order[k]]; nB = cnt["intree-B", order[k]]; nO = cnt["ours", order[k]]
		print "# ntsync benchmark: this tree against the kernel'"'"'s own ntsync.ko"
		print ""
		printf "Kernel %s under QEMU (TCG, 2 vCPUs), one boot. In each of %d rounds every case " \
		       "ran four times in a row, alternating the two modules (rmmod/insmod): in all, each " \
		       "case ran %d times under the in-tree module (A %d, B %d) and %d times under ours, " \
		       "each run a warm-up and %d timed repetitions of the same calibrated iteration count " \
		       "(scale %s). Ours: %s. Host load average before/after: %s / %s.\n\n", kernel,
		       rounds, nA + nB, nA, nB, nO, reps, scale, ours, load0, load1
		print "- **ns/op**: median over the runs of each run'"'"'s median repetition."
		print "- **speed** = in-tree ns/op ÷ ours ns/op: **above 1 means ours is faster**."
		print "- **noise** = in-tree A ÷ in-tree B, the in-tree module against itself in the same " \
		      "boot (each half has half the runs): a speed this close to 1 means nothing. Below " \
		      "each table, a second noise figure: the unknown ioctl, where both modules run the " \
		      "same code, in-tree against ours (the spread between module loads)."
		print "- **fastest**: the same ratios, of the fastest repetition of any run instead of the " \
		      "medians: the load of a shared host only ever slows a repetition down, so on a busy " \
		      "host this is the steadier figure (it is not what **met** judges)."
		print "- **met**: the speed reaches the target; for a target of 1.0x, *noise* means below 1 " \
		      "but by less than the larger noise figure; *too noisy*: the noise is 1.5x or more, " \
		      "this boot cannot tell."
		print ""
		print "## Multi-threaded processes (the shape Wine runs)"
		print ""
		print "Every Wine process has many threads, so its fd table is shared and every fd lookup " \
		      "counts a reference. `NAME.mt` is case NAME with one idle thread alive for the whole " \
		      "run; the other cases have threads or processes of their own."
		print ""
		table(" mt own ", "unknown-ioctl.mt")
		print "## Single-threaded process"
		print ""
		table(" st ", "unknown-ioctl")
		print "## Floors: the same ping-pong without ntsync"
		print ""
		printf "What NT emulators did before ntsync, measured once per round (%d rounds, the " \
		       "range is over rounds); the ntsync rows repeat the table above.\n\n", cnt["floors", "futex-pingpong-2cpu"]
		print "| round trip | ns/op | range | vs ours ntsync |"
		print "|---|---:|---:|---:|"
		split("2cpu 1cpu", where, " ")
		for (w = 1; w <= 2; w++) {
			ref = oo["pingpong-" where[w]]
			printf "| ntsync events, in-tree, %s | %s | %s–%s | %s |\n", where[w], ns(tt["pingpong-" where[w]]),
			       ns(lo("intree-A intree-B", "pingpong-" where[w])), ns(hi("intree-A intree-B", "pingpong-" where[w])),
			       ratio(tt["pingpong-" where[w]], ref)
			printf "| ntsync events, ours, %s | %s | %s–%s | 1.00x |\n", where[w], ns(ref),
			       ns(lo("ours", "pingpong-" where[w])), ns(hi("ours", "pingpong-" where[w]))
			split("futex eventfd waitv", prim, " ")
			split("futex (FUTEX_WAIT/WAKE)|eventfd + poll (esync)|futex_waitv (fsync)", pname, "|")
			for (p = 1; p <= 3; p++) {
				c = prim[p] "-pingpong-" where[w]
				if (("floors", c) in na) { printf "| %s, %s | n/a | | |\n", pname[p], where[w]; continue }
				f = med("floors", c)
				printf "| %s, %s | %s | %s–%s | %s |\n", pname[p], where[w], ns(f),
				       ns(lo("floors", c)), ns(hi("floors", c)), ratio(f, ref)
			}
		}
		print ""
		print "In the last column, above 1 means the round trip is slower than ours over ntsync."
		print ""
		print "## Cases"
		print ""
		for (k = 1; k <= ncases; k++)
			if (shape[order[k]] != "mt")
				printf "- `%s`: %s\n", order[k], desc[order[k]]
	}' "$2" "$1"
}

# chart DATA PNG: the speed of each case with the noise next to it, and the targets.
chart() {
	gnuplot <<EOF
set terminal pngcairo size 1000,600 font "sans,10"
set output "$2"
set title "ntsync: this tree against the kernel's own module ($KERNEL, QEMU TCG, medians)"
set ylabel "speed = in-tree time / our time  (>1: ours faster)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set yrange [0:*]
set xtics rotate by 30 right scale 0 nomirror
set key outside top center horizontal
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 1.5 lc rgb "black" front
plot "$1" using 2:xtic(1) title "ours vs in-tree" lc rgb "#3572b0", \
     "" using 3 title "noise: in-tree A vs B" lc rgb "#b0b0b0", \
     "" using (\$0 - 0.25):(\$4 > 1 ? \$4 : 1/0) with points pt 9 ps 1.6 lc rgb "#d62728" title "target (others: 1)", \
     "" using (\$0 - 0.25):2:(sprintf("%.2f", \$2)) with labels offset 0,0.8 font "sans,9" notitle
EOF
}

# by_round RESULTS-LOG: for NTSYNC_BENCH_COMPARE=notrace, one line "CASE RATIO NOISE" per case:
# RATIO the median over the rounds of (mean of the round's two "ours" runs) / (mean of its A and
# B runs), NOISE the median over the rounds of A / B taken as the larger over the smaller.  A
# drift of the host's speed within a round then weighs on both builds alike.
by_round() {
	awk "$AWK_STATS"'
	/^@@run / { group = $2; round = $3; next }
	/^@@exit / { group = ""; next }
	/^@b / && group != "" && group != "floors" && $3 != "n/a" {
		n = 0
		for (i = 3; i <= NF; i++) v[++n] = $i + 0
		m = median(v, n)
		if (group == "ours") { ssin[$2, round] += m; nin[$2, round]++ }
		else { ssout[$2, round] += m; nout[$2, round]++; val[$2, round, group] = m }
		if (!($2 in seen)) { seen[$2] = 1; order[++nc] = $2 }
		if (round > maxr) maxr = round
	}
	END {
		for (k = 1; k <= nc; k++) {
			c = order[k]; n = 0; nn = 0
			for (r = 1; r <= maxr; r++) {
				if (!nin[c, r] || nout[c, r] != 2) continue
				x[++n] = (ssin[c, r] / nin[c, r]) / (ssout[c, r] / 2)
				a = val[c, r, "intree-A"]; b = val[c, r, "intree-B"]
				if (a > 0 && b > 0) y[++nn] = a > b ? a / b : b / a
			}
			if (n && nn) printf "%s %.4f %.4f\n", c, median(x, n), median(y, nn)
		}
	}' "$1"
}

# report_notrace RUNS DESCRIPTIONS KERNEL OURS BY-ROUND: the Markdown report of
# NTSYNC_BENCH_COMPARE=notrace (the "in-tree" groups are then ours with the trace calls compiled
# out).
report_notrace() {
	awk -v kernel="$3" -v ours="$4" -v rounds="$ROUNDS" -v reps="$REPS" -v scale="$SCALE" \
	    -v secs="$SECONDS_PER_REP" -v load0="$LOAD0" -v load1="$LOAD1" "$AWK_STATS"'
	FNR == 1 { file++ }
	file == 1 { kind[$1] = $2; order[++ncases] = $1; next }
	file == 2 && $3 != "n/a" { val[$1, $2, ++cnt[$1, $2]] = $3 }
	file == 3 { rr[$1] = $2; rn[$1] = $3 }
	END {
		for (k = 1; k <= ncases && !cnt["ours", order[k]]; k++) ;
		nA = cnt["intree-A", order[k]]; nB = cnt["intree-B", order[k]]; nO = cnt["ours", order[k]]
		print "# ntsync benchmark: the tracepoints compiled in and disabled, against compiled out"
		print ""
		printf "Kernel %s under QEMU (TCG, 2 vCPUs), one boot. In each of %d rounds every case " \
		       "ran four times in a row, alternating two builds of this tree (rmmod/insmod): " \
		       "**out**, built with `NTSYNC_NO_TRACE=1` (no trace call at all), %d runs (A %d, " \
		       "B %d), and **in**, the module as shipped, its tracepoints registered and disabled, " \
		       "%d runs; each run a warm-up and %d timed repetitions of %s s of the same " \
		       "calibrated iteration count (scale %s). Ours: %s. Host load average " \
		       "before/after: %s / %s.\n\n", kernel, rounds, nA + nB, nA, nB, nO, reps, secs,
		       scale, ours, load0, load1
		print "- **ns/op**: median over the runs of each run'"'"'s median repetition."
		print "- **in ÷ out**: above 1 means the build with the disabled tracepoints is slower."
		print "- **noise**: out A against out B (the same module against itself in the same boot, " \
		      "each half of its runs), as the larger over the smaller."
		print "- **within noise**: *in ÷ out* is at most the noise."
		print "- **by round**: in each round, the mean of the two *in* runs over the mean of *out* A " \
		      "and B, and *out* A against *out* B (the larger over the smaller), each the median " \
		      "over the rounds: a drift of the host'"'"'s speed within a round weighs on both " \
		      "builds alike. *Within noise* again if the first is at most the second."
		print "- **fastest**: the fastest run of each build and their ratio, in ÷ out: a load on the " \
		      "host only ever adds time, so on a busy host this is the steadier figure."
		print ""
		print "| case | out ns/op | in ns/op | in ÷ out | noise (A vs B) | within noise | fastest out | fastest in | in ÷ out, fastest | in ÷ out by round | noise by round | within noise by round |"
		print "|---|---:|---:|---:|---:|:---:|---:|---:|---:|---:|---:|:---:|"
		for (k = 1; k <= ncases; k++) {
			c = order[k]
			if (kind[c] != "driver") continue
			t = med("intree-A intree-B", c); o = med("ours", c)
			a = med("intree-A", c); b = med("intree-B", c)
			r = t > 0 && o > 0 ? o / t : 0
			nz = a > 0 && b > 0 ? (a > b ? a / b : b / a) : 0
			ok = r > 0 && nz > 0 && r <= nz ? "yes" : "**no**"
			if (r > 0 && r <= nz) within++
			n++
			fo = lo("intree-A intree-B", c); fi = lo("ours", c)
			okr = c in rr && rr[c] <= rn[c] ? "yes" : "**no**"
			if (c in rr && rr[c] <= rn[c]) withinr++
			printf "| `%s` | %s | %s | %.3f | %.3f | %s | %s | %s | %.3f | %.3f | %.3f | %s |\n", c, ns(t),
			       ns(o), r, nz, ok, ns(fo), ns(fi), (fo > 0 ? fi / fo : 0), rr[c], rn[c], okr
		}
		print ""
		printf "%d of %d cases within noise; %d of %d by round.\n", within, n, withinr, n
	}' "$2" "$1" "$5"
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
