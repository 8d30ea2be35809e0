# teach.gp — the superposition picture of `ttt demo` (make teach).
# Left: the feature plane (d2 = 2) with the concepts as arrows, the training
# points coloured by topic, one test point and its k nearest neighbours, and
# the directions of the global and the local (TTT) head.  Right: on that
# neighbourhood, each fit's prediction against the truth f.
load "plots/style.gp"
stats dir."/points.tsv" using "topic" nooutput
tmax = int(STATS_max) < 3 ? int(STATS_max) : 3
stats dir."/test.tsv" using "k" nooutput
k = int(STATS_max)
out = dir."/teach"
do for [t in "PNG PDF"] {
    eval(value(t))
    set multiplot layout 1, 2 title "Superposition: 6 concepts in a 2-dimensional feature space, and test-time training"
    set size ratio -1
    set xrange [-1.6:1.6]
    set yrange [-1.6:1.6]
    set xlabel "feature ψ_1"
    set ylabel "feature ψ_2"
    set key outside below center maxrows 4 width -2 font ",8"
    set title sprintf("feature plane: concepts (arrows), topics, a test point and its k = %d neighbours", k) font ",9"
    plot dir."/concepts.tsv" using (0):(0):"a1":"a2" with vectors head filled lw 2 lc rgb "#505050" title "concept directions (columns of A)", \
         ""  using (1.12 * column("a1")):(1.12 * column("a2")):(sprintf("c%d", column("concept"))) with labels font ",9" notitle, \
         for [tp = 0:tmax] dir."/points.tsv" using (column("topic") == tp ? column("psi1") : NaN):"psi2" with points lt LT_topic + tp title sprintf("topic %d", tp), \
         dir."/points.tsv" using (column("rank") >= 1 && column("rank") <= k ? column("psi1") : NaN):"psi2" with points pt 6 ps 1.6 lc rgb "black" title "its k nearest neighbours", \
         dir."/test.tsv" using "psi1":"psi2" with points pt 3 ps 3 lw 2 lc rgb "black" title "test point x*", \
         dir."/heads.tsv" using (0):(0):($2 / sqrt($2**2 + $3**2)):($3 / sqrt($2**2 + $3**2)) every ::0::0 with vectors head filled lw 4 dt 2 lt LT_global title "global head (direction)", \
         dir."/heads.tsv" using (0):(0):($2 / sqrt($2**2 + $3**2)):($3 / sqrt($2**2 + $3**2)) every ::1::1 with vectors head filled lw 4 lt LT_ttt title "local (TTT) head (direction)"
    set size noratio
    set autoscale xy
    unset key
    set key inside bottom right font ",9"
    set xlabel "true label f on the neighbourhood"
    set ylabel "prediction"
    set key inside bottom right font ",9"
    set title "on the neighbourhood: global fit vs local fit" font ",9"
    plot x with lines lt LT_guide title "perfect", \
         dir."/points.tsv" using (column("rank") >= 1 && column("rank") <= k ? column("f") : NaN):"global" with points lt LT_global title "global head", \
         ""  using (column("rank") >= 1 && column("rank") <= k ? column("f") : NaN):"ttt_head" with points lt LT_ttt title "local (TTT) head", \
         dir."/test.tsv" using "f":"global" with points pt 4 ps 2.5 lw 2 lt LT_global title "test point: global", \
         ""  using "f":"ttt" with points pt 6 ps 2.5 lw 2 lt LT_ttt title "test point: TTT"
    unset multiplot
}
