# o1-geometry.gp — O1 cosine histograms, psi- vs phi-chosen neighbours (paper-figures/o1-geometry).
load "plots/style.gp"
set xrange [0:1]
set xlabel "cosine similarity in concept space, cos(Φ(x*), Φ(x))"
set ylabel "density over test-neighbour pairs"
set style fill transparent solid 0.35 noborder
set key top left
set linetype 13 lc rgb "#1f5fbf" lw 2
set linetype 14 lc rgb "#2a8f3c" lw 2 dt 2
do for [t in "PNG PDF"] {
    eval(value(t))
    set multiplot layout 1, 2 title sprintf("O1: neighbours chosen in feature space (ψ) vs concept space (Φ)\n{/*0.85 %s}", fixed)
    set title sprintf("d2 = 128: mean cos %.3f (ψ) vs %.3f (Φ), overlap %.2f", cf128, cc128, ov128) font ",10"
    plot data using 1:"feature_d2_128" with fillsteps lt 13 fs transparent solid 0.25 title "ψ-chosen (ttt)", \
         ""   using (($1 + $2) / 2):"feature_d2_128" with histeps lt 13 notitle, \
         ""   using (($1 + $2) / 2):"concept_d2_128" with histeps lt 14 title "Φ-chosen (oracle)"
    set title sprintf("d2 = 16: mean cos %.3f (ψ) vs %.3f (Φ), overlap %.2f", cf16, cc16, ov16) font ",10"
    plot data using 1:"feature_d2_16" with fillsteps lt 13 fs transparent solid 0.25 title "ψ-chosen (ttt)", \
         ""   using (($1 + $2) / 2):"feature_d2_16" with histeps lt 13 notitle, \
         ""   using (($1 + $2) / 2):"concept_d2_16" with histeps lt 14 title "Φ-chosen (oracle)"
    unset multiplot
}
