# SPDX-License-Identifier: GPL-2.0-only
# The benchmark's chart: the speed of each case with the noise next to it, and the targets.
#   gnuplot -e "data='CHART.DAT'; png='OUT.PNG'; kernel='ABI'" chart.gp
# (CHART.DAT: report.awk's lines "CASE SPEED NOISE TARGET").
set terminal pngcairo size 1000,600 font "sans,10"
set output png
set title sprintf("ntsync: this tree against the kernel's own module (%s, QEMU TCG, medians)", kernel)
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
plot data using 2:xtic(1) title "ours vs in-tree" lc rgb "#3572b0", \
     "" using 3 title "noise: in-tree A vs B" lc rgb "#b0b0b0", \
     "" using ($0 - 0.25):($4 > 1 ? $4 : 1/0) with points pt 9 ps 1.6 lc rgb "#d62728" title "target (others: 1)", \
     "" using ($0 - 0.25):2:(sprintf("%.2f", $2)) with labels offset 0,0.8 font "sans,9" notitle
