# The locality table (docs/MODEL.md section 6): a TTT head near its neighbourhood
# and far from it, against the global head.  Also as Markdown and LaTeX.
sweep d1=4096 s=8 topics=64 n=20000 m=200 k=50 sigma=0.1 sparse=off d2=32,64,128,256 reps=5
table ttt:nbhd_mse,nbhd_pred,ttt,far_mse,global
"$TTT" table "$work/sweep.tsv" --y ttt:nbhd_mse,nbhd_pred,ttt,far_mse,global --format md --out "$work/locality.md"
"$TTT" table "$work/sweep.tsv" --y ttt:nbhd_mse,nbhd_pred,ttt,far_mse,global --format latex --out "$work/locality.tex"
plot
