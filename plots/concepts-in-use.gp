# concepts-in-use.gp — relative error vs the number of concepts in use U at
# fixed d2 (paper-figures/concepts-in-use).  The caller also sets slope,
# slope_lo, slope_hi, icpt (TTT's log-log fit in U where every topic has per
# points); eslope, eslope_lo, eslope_hi, eicpt (the log-log fit of the global
# head's explained share 1 - E_glob/Var f in U); u_top, ttt_top, purity_top,
# support_top (at the largest U: TTT's error, purity, |S|); glob_lo, glob_hi
# (range of measured global / exact E_glob), glob_u, glob_n (U and n where it
# is farthest from 1); expl_lo, expl_hi (range of the explained share over
# d2/U); per (training points a topic) and d2.
load "plots/style.gp"
PNG = "set terminal pngcairo enhanced size 960,920 font 'sans,11'; set output out.'.png'"
PDF = "set terminal pdfcairo enhanced size 6.4in,6.1in font 'sans,9'; set output out.'.pdf'"
set logscale xy
set format x "10^{%L}"
set format y "10^{%L}"
stats data using "in_use" nooutput
umin = STATS_min; umax = STATS_max
set xrange [umin / 2 : umax * 2]
set xlabel "concepts in use U (distinct concepts in the union of the topic pools, about T p)"
# What TTT's interval says.
verdict = slope_lo <= 0 && slope_hi >= 0 ? "TTT is flat in U" : \
          slope_lo > 0 ? "TTT rises slowly with U" : "TTT falls with U"
# U as m·10^e for the titles.
pow10(u) = sprintf("%.1f·10^{%d}", u / 10.0**floor(log10(u) + 1e-9), floor(log10(u) + 1e-9))
fitline(u) = exp(icpt) * u**slope
efit(u) = exp(eicpt) * u**eslope
# A single replicate has no standard error: its bar is drawn as 0.
se(name) = (v = column(name), v == v ? v : 0)
do for [t in "PNG PDF"] {
    eval(value(t))
    set multiplot layout 2, 1 title sprintf("Error vs concepts in use U at fixed width d2 = %d\n{/*0.85 %s}", d2, fixed)
    set ylabel "relative test error MSE / Var f (mean ± 1 s.e.)"
    set key at graph 0.02, graph 0.8 left top
    set title sprintf("(a) %s: slope %.3f [%.3f, %.3f] (%d training points a topic); at U = %s TTT %.3f, purity %.2f, |S| = %.0f\nmeasured global / exact E_{glob}: %.3f to %.3f (farthest from 1 at U = %s, n = %d)", \
                      verdict, slope, slope_lo, slope_hi, per, pow10(u_top), ttt_top, purity_top, support_top, glob_lo, glob_hi, pow10(glob_u), glob_n) font ",10"
    set yrange [*:2]
    plot data using "in_use":"global_rel":(se("global_rel_se")) with yerrorlines lt LT_global title "global", \
         ""   using "in_use":"ttt_rel":(se("ttt_rel_se")) with yerrorlines lt LT_ttt title "ttt", \
         ""   using "in_use":"e_glob_rel" with lines lt LT_a_global title "exact E_{glob} / Var f", \
         ""   using "in_use":"iso_use" with lines lt LT_guide title "1 - d2/U (isotropic codes over the U concepts)", \
         [umin:umax] fitline(x) lt LT_a_ttt title sprintf("fit to ttt: ∝ U^{%.3f}", slope)
    set yrange [*:*]
    set ylabel "share of Var f explained, 1 - MSE / Var f"
    set key inside top right
    set title sprintf("(b) the global head explains 1 - E_{glob}/Var f ∝ U^{%.3f} [%.3f, %.3f]: %.1f to %.1f times d2/U", \
                      eslope, eslope_lo, eslope_hi, expl_lo, expl_hi) font ",10"
    plot data using "in_use":"explained" with linespoints lt LT_a_global pt 7 ps 0.8 title "1 - E_{glob} / Var f (exact)", \
         ""   using "in_use":"d2_over_use" with lines lt LT_guide title "d2 / U (isotropic codes over the U concepts)", \
         [umin:umax] efit(x) lt LT_a_ttt dt 3 title sprintf("fit: ∝ U^{%.3f}", eslope)
    unset multiplot
}
