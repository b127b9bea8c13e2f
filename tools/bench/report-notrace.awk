# SPDX-License-Identifier: GPL-2.0-only
# The Markdown report of NTSYNC_BENCH_COMPARE=notrace (the "in-tree" groups are then ours with
# the trace calls compiled out).  Files: the cases, the runs (runs.awk), by-round.awk's lines;
# -v kernel, ours, rounds, reps, scale, secs, load0, load1 describe the run.
FNR == 1 { file++ }
file == 1 { kind[$1] = $2; order[++ncases] = $1; next }
file == 2 && $3 != "n/a" { val[$1, $2, ++cnt[$1, $2]] = $3 }
file == 3 { rr[$1] = $2; rn[$1] = $3 }
END {
	run_counts()
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
	print "- **ns/op**: median over the runs of each run's median repetition."
	print "- **in ÷ out**: above 1 means the build with the disabled tracepoints is slower."
	print "- **noise**: out A against out B (the same module against itself in the same boot, " \
	      "each half of its runs), as the larger over the smaller."
	print "- **within noise**: *in ÷ out* is at most the noise."
	print "- **by round**: in each round, the mean of the two *in* runs over the mean of *out* A " \
	      "and B, and *out* A against *out* B (the larger over the smaller), each the median " \
	      "over the rounds: a drift of the host's speed within a round weighs on both " \
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
}
