# Error vs neighbourhood size k (SPEC section 6, figure 2).
# 16 topics over n = 5000 points: about 312 points per topic, so
# neighbourhoods leave their topic inside the k range.  The oracle's cost
# grows with |S|, which is why m is 100 here.
sweep d1=4096 d2=128 s=8 topics=16 n=5000 m=100 sigma=0.1 sparse=off k=4:2000:log:18 reps=8
table global,ttt,ttt_global,oracle,oracle:predicted,knn,support
# The theorem's constant C, fitted on the region where the local designs are
# well posed and inside one topic's reach (k from 2|S| to n/T).
C=$(fit --y ttt --bound --x k --range 30:320 | sed -n 's/^C = \([^ ]*\) .*interval \[\([^,]*\), \([^]]*\)\].*/\1 \2 \3/p')
S=$(fit --y ttt --x k --range 30:320 | sed -n 's/^slope *\([^ ]*\) .*interval \[\([^,]*\), \([^]]*\)\].*/\1 \2 \3/p')
set -- $C $S
plot "C=$1" "C_lo=$2" "C_hi=$3" "slope=$4" "slope_lo=$5" "slope_hi=$6" "sigma=0.1" "s=8" "d1=4096" "nT=5000.0/16"
