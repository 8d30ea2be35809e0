# Error vs sparsity s (a figure of the paper).  k = 200 keeps
# k > |S| + 1 up to s = 32 (|S| about 2s); 16 topics of 1250 points keep
# the neighbourhoods inside one topic.
sweep d1=4096 d2=128 topics=16 n=20000 m=200 k=200 sigma=0.1 sparse=off s=2,4,8,16,32 reps=8
table ttt,ttt_global,oracle,oracle:predicted,knn,support
C=$(fit_c --y ttt)
S=$(fit_slope --y ttt --x s)
set -- $C $S
plot "C=$1" "C_lo=$2" "C_hi=$3" "slope=$4" "slope_lo=$5" "slope_hi=$6" "sigma=0.1" "k=200" "d1=4096"
