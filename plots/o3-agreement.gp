# o3-agreement.gp — ttt vs concept-space predictions, per test point (paper-figures/o3-agreement).
load "plots/style.gp"
set size ratio -1
set key top left
set ylabel "ttt prediction (feature space)"
do for [t in "PNG PDF"] {
    eval(value(t))
    set multiplot layout 1, 2 title sprintf("O3: feature-space TTT vs concept-space local fits, per test point\n{/*0.85 %s}", fixed)
    set xlabel "oracle prediction (least squares on the true concepts S)"
    set title sprintf("|ttt - oracle| < σ at %.1f%% of test points", 100 * agree_oracle) font ",10"
    plot [-4:4] [-4:4] x + sigma with filledcurves y1 = -10 lc rgb "#e6e6e6" notitle, \
         x - sigma with filledcurves y1 = -10 lc rgb "#ffffff" notitle, \
         x with lines lt LT_guide notitle, \
         data using "oracle":"ttt" with points lt LT_oracle title "test points"
    set xlabel "lasso prediction (sparse fit on the neighbours' codes)"
    set title sprintf("|ttt - lasso| < σ at %.1f%% of test points", 100 * agree_lasso) font ",10"
    plot [-4:4] [-4:4] x + sigma with filledcurves y1 = -10 lc rgb "#e6e6e6" notitle, \
         x - sigma with filledcurves y1 = -10 lc rgb "#ffffff" notitle, \
         x with lines lt LT_guide notitle, \
         data using "lasso":"ttt" with points lt LT_lasso title "test points"
    unset multiplot
}
