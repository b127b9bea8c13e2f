# SPDX-License-Identifier: GPL-2.0-only
# median(A, N): the median of A[1..N] (sorts A in place).  The one median of the lanes' reports:
# tools/bench's statistics and the Wine lane's table use it (awk -f).
function median(a, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
