# o2-support.gp — concepts used by the sparse fits vs |S| (paper-figures/o2-support).
load "plots/style.gp"
set logscale xy
set xrange [8:500]
set xlabel "neighbourhood size k"
set ylabel "number of concepts (mean ± 1 s.e.)"
set title sprintf("O2: the sparse local fits keep few of the neighbourhood's concepts\n{/*0.85 %s}", fixed)
set key top left
do for [t in "PNG PDF"] {
    eval(value(t))
    plot data using "k":"support":"support_se" with yerrorlines lt LT_ttt pt 4 title "|S|, concepts in the neighbourhood", \
         ""   using "k":"support_iid" with lines lt LT_a_ttt title "E|S| = p(1-(1-s/p)^k)", \
         ""   using "k":"lasso_fit_support":"lasso_fit_support_se" with yerrorlines lt LT_lasso title "lasso", \
         ""   using "k":"lasso_decoded_fit_support":"lasso_decoded_fit_support_se" with yerrorlines lt LT_lasso_decoded title "lasso\\_decoded", \
         ""   using "k":"omp_fit_support":"omp_fit_support_se" with yerrorlines lt LT_omp title "omp", \
         s with lines lt LT_guide title "s"
}
