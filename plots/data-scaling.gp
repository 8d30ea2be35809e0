# data-scaling.gp — the TTT gain global/ttt vs n (paper-figures/data-scaling).
load "plots/style.gp"
set logscale xy
set format x "10^{%L}"
set xlabel "training points n"
set ylabel "gain: global MSE / ttt MSE (geometric mean, ± 1 s.e.)"
set title sprintf("Data scaling: more data, purer neighbourhoods, larger TTT gain\n{/*0.85 %s}", fixed)
set key top left
set xrange [700:140000]
g(c) = 10**column(c)
set arrow 1 from kT, graph 0 to kT, graph 1 nohead lt LT_guide dt 3
set label 1 "n/T = k" at kT, graph 0.05 offset 0.5, 0 font ",9"
do for [t in "PNG PDF"] {
    eval(value(t))
    plot data using "n":(g("log10_global_over_ttt")):(10**(column("log10_global_over_ttt") - column("log10_global_over_ttt_se"))):(10**(column("log10_global_over_ttt") + column("log10_global_over_ttt_se"))) \
              with yerrorlines lt LT_ttt title "global / ttt (measured)", \
         ""   using "n":(g("log10_global_predicted_over_oracle_predicted")) with linespoints lt LT_a_ttt pt 6 title "global / oracle, predicted"
}
