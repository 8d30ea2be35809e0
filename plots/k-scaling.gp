# k-scaling.gp — error vs neighbourhood size k, log-log (paper-figures/k-scaling).
load "plots/style.gp"
set logscale xy
set format y "10^{%L}"
set xlabel "neighbourhood size k (training points in each local fit)"
set ylabel "test MSE against f (mean ± 1 s.e. over replicates)"
set title sprintf("TTT error vs k: fitted slope %.2f [%.2f, %.2f], C = %.2f [%.2f, %.2f] (95%%)\n{/*0.85 %s}", \
                  slope, slope_lo, slope_hi, C, C_lo, C_hi, fixed)
set key top left
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
         [20:500] theorem(x) lt LT_a_ttt title "theorem C σ^2 s log(d1/s)/k"
}
