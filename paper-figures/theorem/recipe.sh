# Lasso and TTT against k in the theorem's own regime (preset theorem:
# signed magnitudes, every point of a topic uses the same s concepts, so the
# local concept design is s-sparse and well conditioned).  The theorem's rate
# C sigma^2 s log(d1/s)/k is fitted over K_LO <= k <= K_HI, inside one topic;
# the sweep runs past it to show where neighbourhoods start to mix topics.
K_LO=50 K_HI=200
sweep preset=theorem m=100 k=20,30,50,70,100,140,200,300,450,640 reps=4
table lasso,ttt,omp,support,purity
C=$(fit_c --y lasso --x k --range $K_LO:$K_HI)
L=$(fit_slope --y lasso --x k --range $K_LO:$K_HI)
T=$(fit_slope --y ttt --x k --range $K_LO:$K_HI)
set -- $C $L $T
plot "C=$1" "C_lo=$2" "C_hi=$3" "slope=$4" "slope_lo=$5" "slope_hi=$6" \
     "tslope=$7" "tslope_lo=$8" "tslope_hi=$9" "k_lo=$K_LO" "k_hi=$K_HI"
