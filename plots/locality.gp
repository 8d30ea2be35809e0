# locality.gp — one TTT head near and far, and the global head (paper-figures/locality).
load "plots/style.gp"
set logscale xy
set format y "10^{%L}"
set xrange [22:360]
set xtics (32, 64, 128, 256)
set xlabel "model width d2"
set ylabel "MSE against f (mean ± 1 s.e.)"
set title sprintf("Locality: TTT heads on their own neighbourhood, at the test point, and everywhere\n{/*0.85 %s}", fixed)
set key center right
do for [t in "PNG PDF"] {
    eval(value(t))
    plot data using "d2":"ttt_nbhd_mse":"ttt_nbhd_mse_se" with yerrorlines lt LT_ttt pt 4 title "ttt head on its own neighbours", \
         ""   using "d2":"nbhd_pred" with lines lt LT_a_ttt title "σ^2 rank / k (in-sample LS)", \
         ""   using "d2":"ttt_mse":"ttt_mse_se" with yerrorlines lt LT_ttt title "ttt at its test point", \
         ""   using "d2":"far_mse":"far_mse_se" with yerrorlines lt LT_knn pt 3 title "ttt heads on all test points", \
         ""   using "d2":"global_mse":"global_mse_se" with yerrorlines lt LT_global title "global"
}
