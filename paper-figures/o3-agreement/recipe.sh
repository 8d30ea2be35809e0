# O3 (docs/MODEL.md section 6): do feature-space TTT and concept-space (sparse) TTT
# predict the same at each test point?
run d1=4096 d2=128 s=8 topics=256 n=50000 m=500 k=50 sigma=0.1
cp "$work/run/predictions.tsv" "$work/$name.tsv"
FIXED="d1=4096 d2=128 s=8 topics=256 n=50000 m=500 k=50 sigma=0.1"
plot "agree_oracle=$(quantity "$work/run" agree_oracle)" "agree_lasso=$(quantity "$work/run" agree_lasso)" "sigma=0.1"
