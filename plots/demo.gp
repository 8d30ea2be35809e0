# The demo figure: what `make demo` draws from a `ttt run` output folder.
#   gnuplot -e "dir='demo-out'" plots/demo.gp      ->  dir/demo.png
# Left: each test point's prediction against its noiseless label f, for the
# global head and for TTT (fine-tuned local fit).  Right: test MSE of every
# estimator with its standard error, and the analytic prediction where the
# theory has one.  Draws only; every number comes from the TSV files.
if (!exists("dir")) dir = "demo-out"
pred = dir."/predictions.tsv"
summ = dir."/summary.tsv"
param(k) = system(sprintf("grep -m1 '^# %s = ' %s | sed 's/.*= //'", k, summ))
title_line = sprintf("d1=%s  d2=%s  s=%s  topics=%s  n=%s  m=%s  k=%s  sigma=%g  seed=%s", \
    param("d1"), param("d2"), param("s"), param("topics"), param("n"), param("m"), param("k"), \
    real(param("sigma")), param("seed"))

# noenhanced: estimator names keep their underscores
set terminal pngcairo size 1400,620 font "Sans,11" noenhanced
set output dir."/demo.png"
set datafile separator "\t"
set datafile columnheaders
set datafile missing "NaN"
set multiplot layout 1,2 title "Global least squares vs test-time training\n".title_line

set title "Predictions at the test points"
set xlabel "noiseless label f(x*)"
set ylabel "prediction <psi(x*), v>"
set key top left box opaque
set size ratio -1
set grid
plot pred using "f":"global" with points pt 6 ps 0.6 lc rgb "#999999" title "global", \
     pred using "f":"ttt_global" with points pt 9 ps 0.6 lc rgb "#000000" title "ttt_global (TTT)", \
     x with lines dt 2 lw 1.5 lc rgb "#cc0000" title "prediction = f"

set title "Test MSE against the noiseless labels (log scale)"
set size noratio
set xlabel ""
set ylabel "MSE (bars: +-1 standard error)"
set logscale y
set format y "%.0e"
set key top right box opaque
set xtics rotate by -30
set xrange [-0.6:*]
set offsets 0, 0.6, 0, 0
plot summ using 0:"mse":(column("mse")-column("se")):(column("mse")+column("se")):xtic(1) \
         with yerrorbars pt 7 ps 1.4 lc rgb "#000000" title "empirical", \
     summ using 0:(strcol("predicted_kind") eq "fitted" ? NaN : column("predicted")) \
         with points pt 4 ps 2.2 lw 2 lc rgb "#cc0000" title "analytic prediction"
unset multiplot
