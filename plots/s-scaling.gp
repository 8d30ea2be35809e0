# s-scaling.gp — error vs sparsity s, log-log (paper-figures/s-scaling).
load "plots/style.gp"
set logscale xy
set format y "10^{%L}"
set xrange [1.5:45]
set xtics (2, 4, 8, 16, 32)
set xlabel "sparsity s (concepts active per point)"
set ylabel "test MSE against f (mean ± 1 s.e.)"
set title sprintf("TTT error vs s: fitted slope %.2f [%.2f, %.2f] (theory +1), C = %.2f [%.2f, %.2f]\n{/*0.85 %s}", \
                  slope, slope_lo, slope_hi, C, C_lo, C_hi, fixed)
set key bottom right
theorem(s) = C * sigma**2 * s * log(d1 / s) / k
do for [t in "PNG PDF"] {
    eval(value(t))
    plot data using "s":"oracle_mse":"oracle_mse_se" with yerrorlines lt LT_oracle title "oracle", \
         ""   using "s":"ttt_mse":"ttt_mse_se" with yerrorlines lt LT_ttt title "ttt", \
         ""   using "s":"ttt_global_mse":"ttt_global_mse_se" with yerrorbars lt LT_ttt_global title "ttt\\_global", \
         ""   using "s":"knn_mse":"knn_mse_se" with yerrorlines lt LT_knn title "knn", \
         ""   using "s":"oracle_predicted" with linespoints lt LT_a_oracle pt 8 title "oracle formula σ^2|S|/(k-|S|-1)", \
         [2:32] theorem(x) lt LT_a_ttt title "theorem C σ^2 s log(d1/s)/k"
}
