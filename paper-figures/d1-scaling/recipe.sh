# Error vs dictionary size d1 at fixed width d2 (SPEC section 6, figure 3, right).
sweep d2=128 s=8 topics=64 n=20000 m=200 k=50 sigma=0.1 sparse=off d1=256:65536:log:9 reps=8
table global:rel,ttt:rel,ttt_global:rel,oracle:rel,knn:rel,e_glob_rel,iso_rel,ttt,f_var_test
C=$(fit_c --y ttt)
set -- $C
plot "C=$1" "C_lo=$2" "C_hi=$3" "sigma=0.1" "k=50" "s=8"
