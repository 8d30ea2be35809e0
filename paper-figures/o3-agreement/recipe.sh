# O3 (SPEC section 5): do feature-space TTT and concept-space (sparse) TTT
# predict the same at each test point?
run d1=4096 d2=128 s=8 topics=256 n=50000 m=500 k=50 sigma=0.1
grep -v '^#' "$work/run/predictions.tsv" > "$work/$name.tsv.body"
{ grep '^#' "$work/run/predictions.tsv"; cat "$work/$name.tsv.body"; } > "$work/$name.tsv"
rm "$work/$name.tsv.body"
q() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' "$work/run/analytic.tsv"; }
FIXED="d1=4096 d2=128 s=8 topics=256 n=50000 m=500 k=50 sigma=0.1"
plot "agree_oracle=$(q agree_oracle)" "agree_lasso=$(q agree_lasso)" "sigma=0.1"
