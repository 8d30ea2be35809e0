# style.gp — loaded by every figure script: one look for all figures.
#
# Each estimator has one line style, named after it and used everywhere
# (colour and point type both differ, so a grey-scale print still tells them
# apart); analytic curves are dashed lines without points.
#
# The caller sets: data (the TSV), out (path without extension), fixed (the
# parameters that do not vary, for the title line).

set datafile separator "\t"
set datafile columnheaders
set datafile missing "NaN"
set encoding utf8
set grid back lc rgb "#dddddd"
set border lw 1
set key box opaque samplen 2.5 spacing 1.15 font ",10"
set tics font ",10"
set title font ",11"
set errorbars small

# Estimators: one line style each, from the registry (ttt estimators
# --gnuplot: set linetype N ... and LT_<name> = N, N = its position + 1).
# The program is $TTT, or build/ttt.
ttt_program = system("printf %s \"${TTT:-build/ttt}\"")
load "< ".ttt_program." estimators --gnuplot"
# Analytic curves: dashed, no points.
set linetype 41 lc rgb "#303030" lw 2 dt 2        # for global
set linetype 42 lc rgb "#1f5fbf" lw 2 dt 2        # for ttt / the theorem
set linetype 43 lc rgb "#2a8f3c" lw 2 dt 3        # for the oracle
set linetype 44 lc rgb "#808080" lw 1.5 dt 4      # guides (slopes)
LT_a_global = 41; LT_a_ttt = 42; LT_a_oracle = 43; LT_guide = 44

# Topics in the teaching pictures (make teach): colour and point type.
set linetype 21 lc rgb "#e07b00" pt 7 ps 0.6
set linetype 22 lc rgb "#2a8f3c" pt 5 ps 0.55
set linetype 23 lc rgb "#7b3fa0" pt 9 ps 0.7
set linetype 24 lc rgb "#c0282d" pt 13 ps 0.7
LT_topic = 21

# Terminals: the same plot as PNG (pngcairo) and PDF (pdfcairo).
PNG = "set terminal pngcairo enhanced size 960,640 font 'sans,11'; set output out.'.png'"
PDF = "set terminal pdfcairo enhanced size 6.4in,4.27in font 'sans,9'; set output out.'.pdf'"
