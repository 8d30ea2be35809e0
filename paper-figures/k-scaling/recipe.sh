# Error vs neighbourhood size k (a figure of the paper).
# T = 16 topics over n = 5000 points: about 312 points per topic, so
# neighbourhoods leave their topic inside the k range.  The oracle's cost
# grows with |S|, which is why m is 100 here.  Change a value here and the
# sweep, the fit and the drawn lines follow.
T=16 N=5000 SIGMA=0.1 S=8 D1=4096
K_LO=30 K_HI=$((N / T))
sweep d1=$D1 d2=128 s=$S topics=$T n=$N m=100 sigma=$SIGMA sparse=off k=4:2000:log:18 reps=8
table global,ttt,ttt_global,oracle,oracle:predicted,knn,support
# The theorem's constant C and TTT's log-log slope, fitted on the region
# where the local designs are well posed and inside one topic's reach (k from
# about 2|S| to n/T).
C=$(fit_c --y ttt --x k --range $K_LO:$K_HI)
L=$(fit_slope --y ttt --x k --range $K_LO:$K_HI)
# What the exact conditional variance sigma^2 |S|/(k - |S| - 1) gives over the
# same k grid with |S| = the pool p (a neighbourhood inside one topic): the
# least-squares slope of its log on log k.
P=$(awk -F'\t' -v lo=$K_LO -v hi=$K_HI '/^#/ { next }
  !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
  $c["k"] >= lo && $c["k"] <= hi { k = $c["k"]; p = $c["pool"]
    x = log(k); y = log(p / (k - p - 1)); n++; sx += x; sy += y; sxx += x*x; sxy += x*y }
  END { printf "%.2f %d", (n*sxy - sx*sy) / (n*sxx - sx*sx), p }' "$work/$name.tsv")
set -- $C $L $P
plot "C=$1" "C_lo=$2" "C_hi=$3" "slope=$4" "slope_lo=$5" "slope_hi=$6" "exact_slope=$7" "p=$8" \
     "k_lo=$K_LO" "k_hi=$K_HI" "sigma=$SIGMA" "s=$S" "d1=$D1" "nT=$N.0/$T"
