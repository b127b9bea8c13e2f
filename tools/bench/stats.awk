# SPDX-License-Identifier: GPL-2.0-only
# The statistics every analysis of bench.sh shares, after tools/vm/median.awk: they read the
# runs as the reports store them, val[GROUP, CASE, I] for I up to cnt[GROUP, CASE].
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
# run_counts(): nA, nB and nO, the runs of in-tree A, in-tree B and ours, counted on the first
# case (order[1..ncases]) that ran under ours.
function run_counts(    k) {
	for (k = 1; k <= ncases && !cnt["ours", order[k]]; k++) ;
	nA = cnt["intree-A", order[k]]; nB = cnt["intree-B", order[k]]; nO = cnt["ours", order[k]]
}
