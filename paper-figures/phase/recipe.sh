# Phase diagram of log10(global error / TTT error) over (concepts in use / d2,
# s / d2) (a figure of the paper): where specialization pays.  The width d2
# is fixed; the number of topics T and the sparsity s (pool p = 2s) set the
# concepts in use, about T p (the union of the pools, column in_use), which
# runs from far below d2 to far above it.  d1 is large so that the random
# pools hardly overlap and in use stays close to T p.
D2=64
sweep d1=65536 d2=$D2 n=20000 m=200 k=50 sigma=0.1 sparse=off topics=1,2,4,8,16,32,64,128 s=1,2,4,8,16,32 reps=5
table global/ttt,global,ttt,support,in_use,superposition_holds,purity
# Who wins on each side of in use = d2, counted from the table: cells with
# in use <= d2 where global wins, and cells with in use > d2 and a well-posed
# local fit (k > |S| + 1) where TTT wins; also the cells with in use > d2
# where k <= |S| + 1 (the interpolation peak).
W=$(awk -F'\t' '/^#/ { next }
  !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
  { r = $c["log10_global_over_ttt"]; over = $c["in_use"] > $c["d2"]; posed = $c["k"] > $c["support"] + 1
    if (!over) { a++; if (r < 0) ga++ }
    else if (posed) { b++; if (r > 0) tb++ }
    else { d++; if (r > 0) td++ } }
  END { printf "%d %d %d %d %d %d", ga, a, tb, b, td, d }' "$work/$name.tsv")
set -- $W
plot "d2=$D2" "glob_wins=$1" "below=$2" "ttt_wins=$3" "above=$4" "ttt_wins_peak=$5" "peak=$6"
