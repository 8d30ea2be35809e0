# d2-scaling.gp — relative error vs model width d2 (paper-figures/d2-scaling).
load "plots/style.gp"
set logscale xy
set format y "10^{%L}"
set xrange [6:700]
set xlabel "model width d2 (feature dimensions)"
set ylabel "relative test error MSE / Var f (mean ± 1 s.e.)"
set title sprintf("Error vs model width: global head vs test-time training\n{/*0.85 %s}", fixed)
set key bottom left
do for [t in "PNG PDF"] {
    eval(value(t))
    plot data using "d2":"global_rel":"global_rel_se" with yerrorlines lt LT_global title "global", \
         ""   using "d2":"ttt_rel":"ttt_rel_se" with yerrorlines lt LT_ttt title "ttt", \
         ""   using "d2":"ttt_global_rel":"ttt_global_rel_se" with yerrorbars lt LT_ttt_global title "ttt\\_global", \
         ""   using "d2":"lasso_rel":"lasso_rel_se" with yerrorlines lt LT_lasso title "lasso", \
         ""   using "d2":"omp_rel":"omp_rel_se" with yerrorlines lt LT_omp title "omp", \
         ""   using "d2":"knn_rel":"knn_rel_se" with yerrorlines lt LT_knn title "knn", \
         ""   using "d2":"e_glob_rel" with lines lt LT_a_global title "exact E_{glob} / Var f", \
         ""   using "d2":"iso_rel" with lines lt LT_guide title "1 - d2/d1 (isotropic)"
}
