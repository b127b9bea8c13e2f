# SPDX-License-Identifier: GPL-2.0-only
# For NTSYNC_BENCH_COMPARE=notrace, from the raw report: one line "CASE RATIO NOISE" per case,
# RATIO the median over the rounds of (mean of the round's two "ours" runs) / (mean of its A and
# B runs), NOISE the median over the rounds of A / B taken as the larger over the smaller.  A
# drift of the host's speed within a round then weighs on both builds alike.
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
}
