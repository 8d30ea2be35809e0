# teach-k.gp — animated GIF: the neighbourhood of one test point grows with
# k (left) while the TTT test error traces its curve (right) (make teach).
load "plots/style.gp"
stats dir."/points.tsv" using "topic" nooutput
tmax = int(STATS_max) < 3 ? int(STATS_max) : 3
stats dir."/k.tsv" using "k" nooutput
frames = STATS_records
kmax = STATS_max
set terminal gif animate delay 60 loop 0 size 960,480 font "sans,10"
set output dir."/teach-k.gif"
do for [i = 0:frames - 1] {
    stats dir."/k.tsv" every ::i::i using "k" nooutput
    k = STATS_max
    set multiplot layout 1, 2 title sprintf("Test-time training with k = %d neighbours", k)
    unset logscale
    set format y "% h"
    set size ratio -1
    set xrange [-1.6:1.6]
    set yrange [-1.6:1.6]
    set xlabel "feature ψ_1"
    set ylabel "feature ψ_2"
    unset key
    set title "the test point (x) and its k nearest training points (circled)" font ",9"
    plot dir."/concepts.tsv" using (0):(0):"a1":"a2" with vectors head filled lw 2 lc rgb "#505050", \
         for [tp = 0:tmax] dir."/points.tsv" using (column("topic") == tp ? column("psi1") : NaN):"psi2" with points lt LT_topic + tp, \
         dir."/points.tsv" using (column("rank") >= 1 && column("rank") <= k ? column("psi1") : NaN):"psi2" with points pt 6 ps 1.5 lc rgb "black", \
         dir."/test.tsv" using "psi1":"psi2" with points pt 2 ps 3 lw 2 lc rgb "black"
    set size noratio
    set logscale xy
    set xrange [0.8:kmax * 1.25]
    set yrange [*:*]
    set format y "10^{%L}"
    set xlabel "neighbourhood size k"
    set ylabel "test MSE over all test points"
    set key top left font ",9"
    set title "error as k grows: noisy, then accurate, then back to global" font ",9"
    plot dir."/k.tsv" using "k":"global_mse" with lines lt LT_global title "global", \
         ""   using "k":"knn_mse" with lines lt LT_knn title "knn", \
         ""   using "k":"ttt_mse" with lines lt LT_ttt dt 3 title "ttt (all k)", \
         ""   using (column("k") <= k ? column("k") : NaN):"ttt_mse" with linespoints lt LT_ttt title "ttt (so far)"
    unset multiplot
}
set output
