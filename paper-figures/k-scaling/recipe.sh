# Error vs neighbourhood size k (SPEC section 6, figure 2).
# T = 16 topics over n = 5000 points: about 312 points per topic, so
# neighbourhoods leave their topic inside the k range.  The oracle's cost
# grows with |S|, which is why m is 100 here.  Change a value here and the
# sweep, the fit and the drawn lines follow.
T=16 N=5000 SIGMA=0.1 S=8 D1=4096
sweep d1=$D1 d2=128 s=$S topics=$T n=$N m=100 sigma=$SIGMA sparse=off k=4:2000:log:18 reps=8
table global,ttt,ttt_global,oracle,oracle:predicted,knn,support
# The theorem's constant C, fitted on the region where the local designs are
# well posed and inside one topic's reach (k from 2|S| to about n/T).
C=$(fit_c --y ttt --x k --range 30:$((N / T)))
L=$(fit_slope --y ttt --x k --range 30:$((N / T)))
set -- $C $L
plot "C=$1" "C_lo=$2" "C_hi=$3" "slope=$4" "slope_lo=$5" "slope_hi=$6" "sigma=$SIGMA" "s=$S" "d1=$D1" "nT=$N.0/$T"
