# O2 (docs/MODEL.md section 6): how many concepts the local sparse fits use, against
# the concepts present in the neighbourhood (|S|) and the formula for E|S|.
sweep d1=4096 d2=128 s=8 topics=64 n=20000 m=100 sigma=0.1 k=10:400:log:7 reps=5
table support,support_iid,lasso:fit_support,lasso_decoded:fit_support,omp:fit_support,ttt,lasso,omp
plot "s=8"
