# d1-scaling.gp — relative error vs d1 at fixed d2 (paper-figures/d1-scaling).
load "plots/style.gp"
set logscale xy
set format y "10^{%L}"
set format x "2^{%L}"
set logscale x 2
set xrange [180:90000]
set xlabel "number of concepts d1 (dictionary size; d2 fixed)"
set ylabel "relative test error MSE / Var f (mean ± 1 s.e.)"
set title sprintf("Error vs d1: global follows superposition, TTT grows like log(d1/s); C = %.2f [%.2f, %.2f]\n{/*0.85 %s}", \
                  C, C_lo, C_hi, fixed)
set key at graph 0.98, graph 0.62
theorem(d1) = C * sigma**2 * s * log(d1 / s) / k
do for [t in "PNG PDF"] {
    eval(value(t))
    plot data using "d1":"global_rel":"global_rel_se" with yerrorlines lt LT_global title "global", \
         ""   using "d1":"oracle_rel":"oracle_rel_se" with yerrorlines lt LT_oracle title "oracle", \
         ""   using "d1":"ttt_rel":"ttt_rel_se" with yerrorlines lt LT_ttt title "ttt", \
         ""   using "d1":"ttt_global_rel":"ttt_global_rel_se" with yerrorbars lt LT_ttt_global title "ttt\\_global", \
         ""   using "d1":"knn_rel":"knn_rel_se" with yerrorlines lt LT_knn title "knn", \
         ""   using "d1":"e_glob_rel" with lines lt LT_a_global title "exact E_{glob} / Var f", \
         ""   using "d1":"iso_rel" with lines lt LT_guide title "1 - d2/d1 (isotropic)", \
         ""   using "d1":(theorem(column("d1")) / column("f_var_test")) with lines lt LT_a_ttt title "C σ^2 s log(d1/s)/k / Var f"
}
