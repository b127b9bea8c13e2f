# SPDX-License-Identifier: GPL-2.0-only
# The guest's raw report (results.log) as one line "GROUP CASE VALUE BEST" per case and run,
# VALUE being the median of the run's repetitions (ns/op) or "n/a", BEST their minimum; GROUP is
# intree-A, intree-B, ours or floors.
/^@@run / { group = $2; next }
/^@@exit / { group = ""; next }
/^@b / && group != "" {
	if ($3 == "n/a") { print group, $2, "n/a"; next }
	n = 0
	for (i = 3; i <= NF; i++) v[++n] = $i + 0
	printf "%s %s %.1f %.1f\n", group, $2, median(v, n), v[1]
}
