# d1-scaling.gp — relative error vs d1 at fixed d2 (paper-figures/d1-scaling).
# The caller also sets slope, slope_lo, slope_hi, icpt (TTT's log-log fit in
# d1), logslope (the log-log slope log(d1/s) has over the same grid),
# support (mean |S|) and s.
load "plots/style.gp"
set logscale xy
set format y "10^{%L}"
set format x "2^{%L}"
set logscale x 2
set xrange [180:90000]
set xlabel "number of concepts d1 (dictionary size; d2 fixed)"
set ylabel "relative test error MSE / Var f (mean ± 1 s.e.)"
# What the interval says: flat (holds 0), like log(d1/s) (holds its slope), or neither.
verdict = slope_lo <= 0 && slope_hi >= 0 ? "TTT flat in d1" : \
          slope_lo <= logslope && slope_hi >= logslope ? "TTT consistent with log(d1/s)" : \
          slope < logslope ? "TTT grows more slowly than log(d1/s)" : "TTT grows faster than log(d1/s)"
set title sprintf("Error vs d1: global rises with superposition; %s: slope %.3f [%.3f, %.3f] (log(d1/s) would give %+.2f)\n{/*0.85 %s}", \
                  verdict, slope, slope_lo, slope_hi, logslope, fixed)
set key at graph 0.98, graph 0.75
fitline(d1) = exp(icpt) * d1**slope
# log(d1/s), scaled to meet the fitted line at the middle of the d1 range.
stats data using "d1" nooutput
mid = sqrt(STATS_min * STATS_max)
shape(d1) = fitline(mid) * log(d1 / s) / log(mid / s)
do for [t in "PNG PDF"] {
    eval(value(t))
    plot data using "d1":"global_rel":"global_rel_se" with yerrorlines lt LT_global title "global", \
         ""   using "d1":"oracle_rel":"oracle_rel_se" with yerrorlines lt LT_oracle title "oracle", \
         ""   using "d1":"ttt_rel":"ttt_rel_se" with yerrorlines lt LT_ttt title sprintf("ttt (mean |S| = %.1f)", support), \
         ""   using "d1":"ttt_global_rel":"ttt_global_rel_se" with yerrorbars lt LT_ttt_global title "ttt\\_global", \
         ""   using "d1":"knn_rel":"knn_rel_se" with yerrorlines lt LT_knn title "knn", \
         ""   using "d1":"e_glob_rel" with lines lt LT_a_global title "exact E_{glob} / Var f", \
         ""   using "d1":"iso_rel" with lines lt LT_guide title "1 - d2/d1 (isotropic)", \
         [STATS_min:STATS_max] fitline(x) lt LT_a_ttt title sprintf("fit to ttt: ∝ d1^{%.3f}", slope), \
         [STATS_min:STATS_max] shape(x) lt LT_guide dt 3 lc rgb "#1f5fbf" title "∝ log(d1/s), for comparison"
}
