# SPDX-License-Identifier: GPL-2.0-only
# The Markdown report of a run (stdout) and the chart's data (to the file -v chart names).
# Files: the cases ("ntsync-bench list": NAME KIND SHAPE DESCRIPTION, tab-separated), then the
# runs (runs.awk).  -v kernel, ours, rounds, reps, scale, load0, load1 describe the run.
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
function times(x) { return x < 0 ? "—" : sprintf("%.2f×", x) }
function spread(a, b) { return a > 0 && b > 0 ? (a > b ? a / b : b / a) : 1 }
# table(SHAPES, FLOOR): the rows of the cases of those shapes; FLOOR is the unknown-ioctl
# case of the shape, whose speed is the second noise figure (both modules run the same
# code there: what is left is the spread between module loads).
function table(shapes, floor,    k, c, t, o, a, b, tg, sp, nz, ld, goal, met, base, w, n) {
	for (k = 1; k <= ncases; k++)
		if (index(shapes, " " shape[order[k]] " ") && cnt["ours", order[k]]) n++
	if (!n) { print "None of these cases ran (`NTSYNC_BENCH_CASES`).\n"; return }
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
	w = floor ~ /\.mt$/ ? "wait-any-signaled.mt" : "wait-any-signaled"
	printf "Noise: *A/B* is the in-tree module against itself in this boot; the load noise is " \
	       "`%s`, which runs the same code in both modules (in-tree/ours): **%s**. A speed " \
	       "within both of 1 means nothing.\n\n", floor, ratio(med("intree-A intree-B", floor), med("ours", floor))
	printf "A signaled WAIT_ANY costs **%s** an unknown ioctl on the same kind of fd (the " \
	       "cost of reaching the driver at all) with the in-tree module, **%s** with ours " \
	       "(median over the runs of the two measured in the same run).\n\n",
	       times(rmed("intree-A intree-B", w, floor)), times(rmed("ours", w, floor))
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
	run_counts()
	print "# ntsync benchmark: this tree against the kernel's own ntsync.ko"
	print ""
	printf "Kernel %s under QEMU (TCG, 2 vCPUs), one boot. In each of %d rounds every case " \
	       "ran four times in a row, alternating the two modules (rmmod/insmod): in all, each " \
	       "case ran %d times under the in-tree module (A %d, B %d) and %d times under ours, " \
	       "each run a warm-up and %d timed repetitions of the same calibrated iteration count " \
	       "(scale %s). Ours: %s. Host load average before/after: %s / %s.\n\n", kernel,
	       rounds, nA + nB, nA, nB, nO, reps, scale, ours, load0, load1
	print "- **ns/op**: median over the runs of each run's median repetition."
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
		pp = "pingpong-" where[w]; ref = oo[pp]
		if (cnt["ours", pp]) {	# (else not run: NTSYNC_BENCH_CASES)
			printf "| ntsync events, in-tree, %s | %s | %s–%s | %s |\n", where[w], ns(tt[pp]),
			       ns(lo("intree-A intree-B", pp)), ns(hi("intree-A intree-B", pp)), ratio(tt[pp], ref)
			printf "| ntsync events, ours, %s | %s | %s–%s | 1.00x |\n", where[w], ns(ref),
			       ns(lo("ours", pp)), ns(hi("ours", pp))
		}
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
}
