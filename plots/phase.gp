# phase.gp — heat map of log10(global / ttt) over (d2/d1, s/d2) (paper-figures/phase).
load "plots/style.gp"
set logscale xy 2
set format x "2^{%L}"
set format y "2^{%L}"
set xlabel "d2 / d1 (model width relative to the number of concepts)"
set ylabel "s / d2 (sparsity relative to the width)"
set cblabel "log_{10}(global MSE / ttt MSE)"
set title sprintf("Where specialization pays: log_{10}(global / ttt), mean over replicates\n{/*0.85 %s}", fixed)
set palette defined (-3 "#b2182b", -1 "#f4a582", 0 "#f7f7f7", 1 "#92c5de", 3 "#2166ac")
set cbrange [-3:3]
set xrange [2**-6.5:2**-0.5]
set yrange [2**-9.5:2**2.5]
set grid front
unset key
x(c) = column("d2") / column("d1")
y(c) = column("s") / column("d2")
r = sqrt(2)
do for [t in "PNG PDF"] {
    eval(value(t))
    plot data using (x(0)):(y(0)):(x(0)/r):(x(0)*r):(y(0)/r):(y(0)*r):"log10_global_over_ttt" \
              with boxxyerror fs solid 1.0 noborder fc palette, \
         ""   using (x(0)):(y(0)):(sprintf("%.1f", column("log10_global_over_ttt"))) with labels font ",9"
}
