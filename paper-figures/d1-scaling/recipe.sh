# Error vs dictionary size d1 at fixed width d2 (a figure of the paper).
S=8
sweep d2=128 s=$S topics=64 n=20000 m=200 k=50 sigma=0.1 sparse=off d1=256:65536:log:9 reps=8
table global:rel,ttt:rel,ttt_global:rel,oracle:rel,knn:rel,e_glob_rel,iso_rel,support
# TTT's log-log slope in d1, with its 95% interval and intercept (for the line).
L=$(fit_line --y ttt:rel --x d1)
# The slope log(d1/s) would have: least squares of log log(d1/s) on log d1
# over the same d1 grid (the shape the theorem's rate would give).
G=$(awk -F'\t' -v s=$S '/^#/ { next }
  !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
  { x = log($c["d1"]); y = log(log($c["d1"] / s)); n++; sx += x; sy += y; sxx += x*x; sxy += x*y
    S += $c["support"] }
  END { printf "%.4f %.2f", (n*sxy - sx*sy) / (n*sxx - sx*sx), S / n }' "$work/$name.tsv")
set -- $L $G
plot "slope=$1" "slope_lo=$2" "slope_hi=$3" "icpt=$4" "logslope=$5" "support=$6" "s=$S"
