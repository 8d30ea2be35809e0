# phase.gp — heat map of log10(global / ttt) over (concepts in use / d2, s / d2)
# (paper-figures/phase).  The caller also sets d2 (fixed in the sweep) and the
# counts glob_wins of below (cells with in use <= d2 where global wins),
# ttt_wins of above (in use > d2 and k > |S| + 1, where TTT wins) and
# ttt_wins_peak of peak (in use > d2 but k <= |S| + 1).
load "plots/style.gp"
set logscale xy 2
set format x "2^{%L}"
set format y "2^{%L}"
set xlabel "concepts in use / d2  (in use = distinct concepts in the union of the topic pools, about T p)"
set ylabel "s / d2 (sparsity relative to the width)"
set cblabel "log_{10}(global MSE / ttt MSE)"
set title sprintf("log_{10}(global / ttt): global wins in %d of %d cells with in use ≤ d2; TTT wins in %d of %d with in use > d2 and k > |S|+1\n(and in %d of %d where k ≤ |S|+1, the interpolation peak)\n{/*0.85 %s}", \
                  glob_wins, below, ttt_wins, above, ttt_wins_peak, peak, fixed)
set palette defined (-3 "#b2182b", -1 "#f4a582", 0 "#f7f7f7", 1 "#92c5de", 3 "#2166ac")
set cbrange [-3:3]
stats data using (column("in_use") / d2) nooutput
xmin = STATS_min; xmax = STATS_max
stats data using (column("s") / d2) nooutput
ymin = STATS_min; ymax = STATS_max
r = sqrt(2)
set xrange [xmin / r / 1.05 : xmax * r * 1.05]
set yrange [ymin / r : ymax * r]
set grid front
unset key
# The line in use = d2: to its left the global head has a dimension for every
# concept in use (no superposition).
# (drawn between the cells and their numbers, which sit on small boxes so
# that the line does not cross their digits)
$boundary << EOD
x	y
1	1e-9
1	1e9
EOD
set clip two
set style textbox opaque fc rgb "#f0f0f0" noborder margins 0.5, 0.3
set label 1 "in use = d2" at 1, graph 1 offset 0.5, -1 left front font ",10" boxed
set label 2 "no superposition" at graph 0.02, graph 0.04 left front font ",9"
set label 3 "superposition" at 1, graph 0.04 offset 0.5, 0 left front font ",9"
x(c) = column("in_use") / d2
y(c) = column("s") / d2
do for [t in "PNG PDF"] {
    eval(value(t))
    plot data using (x(0)):(y(0)):(x(0)/r):(x(0)*r):(y(0)/r):(y(0)*r):"log10_global_over_ttt" \
              with boxxyerror fs solid 1.0 noborder fc palette, \
         $boundary using 1:2 with lines lw 2.5 lc rgb "#000000" dt 2, \
         data using (x(0)):(y(0)):(sprintf("%.1f", column("log10_global_over_ttt"))) with labels boxed font ",9"
}
