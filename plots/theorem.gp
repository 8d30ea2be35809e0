# theorem.gp — Lasso and TTT MSE vs k in the theorem's regime, log-log
# (paper-figures/theorem).  The caller also sets C, C_lo, C_hi (the fitted
# constant of the Lasso), slope, slope_lo, slope_hi (the Lasso's log-log
# slope), tslope, tslope_lo, tslope_hi (TTT's), k_lo, k_hi (the fitted range).
load "plots/style.gp"
set logscale xy
set format y "10^{%L}"
set xrange [13:850]
set xtics (20, 50, 100, 200, 500)
set yrange [2e-5:1e-1]
set xlabel "neighbourhood size k (training points in each local fit)"
set ylabel "test MSE against f (mean ± 1 s.e. over replicates)"
versus = slope_hi < -1 ? "steeper than 1/k" : slope_lo > -1 ? "shallower than 1/k" : "consistent with 1/k"
set title sprintf("Theorem regime: Lasso slope %.2f [%.2f, %.2f] for %g ≤ k ≤ %g (%s), C = %.2f [%.2f, %.2f] (95%%)\n{/*0.85 %s}", \
                  slope, slope_lo, slope_hi, k_lo, k_hi, versus, C, C_lo, C_hi, fixed)
set key top right
# |S| (concepts in the neighbourhoods' codes) and the share of neighbours from
# the test point's own topic, per k, printed along the bottom.
set y2range [0:1]
unset y2tics
# The fitted range, shaded.
set object 1 rect from k_lo, graph 0 to k_hi, graph 1 behind fc rgb "#eeeeee" fs solid 1.0 noborder
set label 1 "fitted range" at sqrt(k_lo * k_hi), graph 0.96 center font ",9"
set label 2 "|S|" at graph 0.01, graph 0.075 left font ",9"
set label 3 "purity" at graph 0.01, graph 0.03 left font ",9"
# The theorem's line from each row's own sigma, s, d1 (C fitted above).
theorem(c) = C * column("sigma")**2 * column("s") * log(column("d1") / column("s")) / column("k")
do for [t in "PNG PDF"] {
    eval(value(t))
    plot data using "k":"lasso_mse":"lasso_mse_se" with yerrorlines lt LT_lasso \
              title sprintf("lasso (slope %.2f [%.2f, %.2f])", slope, slope_lo, slope_hi), \
         ""   using "k":"ttt_mse":"ttt_mse_se" with yerrorlines lt LT_ttt \
              title sprintf("ttt (slope %.2f [%.2f, %.2f])", tslope, tslope_lo, tslope_hi), \
         ""   using "k":"omp_mse":"omp_mse_se" with yerrorlines lt LT_omp title "omp", \
         ""   using "k":(theorem(0)) with lines lt LT_a_ttt lc rgb "#e07b00" \
              title sprintf("C σ^2 s log(d1/s)/k, C = %.2f", C), \
         ""   using "k":(0.075):(sprintf("%.0f", column("support"))) axes x1y2 with labels font ",9" notitle, \
         ""   using "k":(0.03):(sprintf("%.2f", column("purity"))) axes x1y2 with labels font ",9" notitle
}
