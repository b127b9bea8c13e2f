# SPDX-License-Identifier: GPL-2.0-only
# wine-bench's table, after tools/vm/median.awk: from the lane's bench.txt (lines "MODE ROUND
# CASE NS"), the median over the rounds of each case and mode (-v modes: the modes, in the
# table's order), and the speed-ups of ours, as Markdown behind "# ".
{ v[$3 SUBSEP $1] = v[$3 SUBSEP $1] " " $4; if (!($3 in seen)) { seen[$3] = 1; order[++n] = $3 } }
function median_of(s,   a) { return median(a, split(s, a, " ")) }
END {
	nm = split(modes, M, " ")
	hdr = "| case |"; sep = "|---|"
	for (i = 1; i <= nm; i++) { hdr = hdr " " name(M[i]) " |"; sep = sep "---:|" }
	for (i = 1; i <= nm; i++) if (M[i] != "ours") { hdr = hdr " ours vs " name(M[i]) " |"; sep = sep "---:|" }
	print "# " hdr; print "# " sep
	for (c = 1; c <= n; c++) {
		row = "| `" order[c] "` |"
		for (i = 1; i <= nm; i++) { med[M[i]] = median_of(v[order[c] SUBSEP M[i]]); row = row " " sprintf("%.0f", med[M[i]]) " |" }
		for (i = 1; i <= nm; i++) if (M[i] != "ours")
			row = row (med["ours"] > 0 ? sprintf(" **%.1fx** |", med[M[i]] / med["ours"]) : " - |")
		print "# " row
	}
}
function name(m) { return m == "ours" ? "ours" : m == "kernel" ? "kernel's ntsync" : "server-side" }
