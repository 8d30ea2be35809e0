# k-scaling.gp — error vs neighbourhood size k, log-log (paper-figures/k-scaling).
# The caller also sets C, C_lo, C_hi (the theorem's fitted constant), slope,
# slope_lo, slope_hi (TTT's log-log slope over k_lo..k_hi), exact_slope (the
# slope of |S|/(k-|S|-1) at |S| = p over the same k), sigma, s, d1, nT.
load "plots/style.gp"
set logscale xy
set format y "10^{%L}"
set xlabel "neighbourhood size k (training points in each local fit)"
set ylabel "test MSE against f (mean ± 1 s.e. over replicates)"
# The comparison with 1/k, read off the interval.
versus = slope_hi < -1 ? "steeper than 1/k" : slope_lo > -1 ? "shallower than 1/k" : "consistent with 1/k"
set title sprintf("TTT error vs k: slope %.2f [%.2f, %.2f] for %g ≤ k ≤ %g, %s; σ^2|S|/(k-|S|-1) at |S| = %d gives %.2f\ntheorem line C σ^2 s log(d1/s)/k fitted over the same k: C = %.2f [%.2f, %.2f] (95%%)\n{/*0.85 %s}", \
                  slope, slope_lo, slope_hi, k_lo, k_hi, versus, p, exact_slope, C, C_lo, C_hi, fixed)
set key bottom left
set arrow 1 from nT, graph 0 to nT, graph 1 nohead lt LT_guide dt 3
set label 1 "k = n/T" at nT, graph 0.04 offset 0.5, 0 font ",9"
theorem(k) = C * sigma**2 * s * log(d1 / s) / k
do for [t in "PNG PDF"] {
    eval(value(t))
    plot data using "k":"global_mse":"global_mse_se" with yerrorlines lt LT_global title "global", \
         ""   using "k":"oracle_mse":"oracle_mse_se" with yerrorlines lt LT_oracle title "oracle", \
         ""   using "k":"ttt_mse":"ttt_mse_se" with yerrorlines lt LT_ttt title "ttt", \
         ""   using "k":"ttt_global_mse":"ttt_global_mse_se" with yerrorbars lt LT_ttt_global title "ttt\\_global", \
         ""   using "k":"knn_mse":"knn_mse_se" with yerrorlines lt LT_knn title "knn", \
         ""   using "k":"oracle_predicted" with linespoints lt LT_a_oracle pt 8 title "oracle formula σ^2|S|/(k-|S|-1)", \
         [k_lo:k_hi] theorem(x) lt LT_a_ttt title sprintf("theorem C σ^2 s log(d1/s)/k, C = %.2f", C)
}
