# Error vs model width d2 (a figure of the paper): the model-size scaling.
sweep d1=1024 s=8 topics=64 n=20000 m=200 k=50 sigma=0.1 d2=8:512:log:7 reps=8
table global:rel,ttt:rel,ttt_global:rel,lasso:rel,omp:rel,knn:rel,e_glob_rel,iso_rel
plot
