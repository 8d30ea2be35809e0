# O1 (docs/MODEL.md section 6): concept-space cosine similarity between a test point
# and its neighbours, neighbours chosen in feature space (psi) or in concept
# space (phi), at a moderate width and at a very small one.
for d2 in 128 16; do
  run d1=4096 d2=$d2 s=8 topics=64 n=20000 m=500 k=50 sigma=0.1 sparse=off
  mv "$work/run" "$work/run$d2"
done
# One TSV: the bins, then feature/concept densities for each width.
paste "$work/run128/geometry.tsv" "$work/run16/geometry.tsv" | grep -v '^#' |
  awk -F'\t' 'NR == 1 { print "cos_lo\tcos_hi\tfeature_d2_128\tconcept_d2_128\tfeature_d2_16\tconcept_d2_16"; next }
              { print $1 "\t" $2 "\t" $3 "\t" $4 "\t" $9 "\t" $10 }' > "$work/$name.tsv"
FIXED="d1=4096 s=8 topics=64 n=20000 m=500 k=50 sigma=0.1"
vars=()
for d2 in 128 16; do
  vars+=("cf$d2=$(quantity "$work/run$d2" cos_feature)" "cc$d2=$(quantity "$work/run$d2" cos_concept)"
         "ov$d2=$(quantity "$work/run$d2" overlap)")
done
plot "${vars[@]}"
