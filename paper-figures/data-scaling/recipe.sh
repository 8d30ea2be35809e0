# TTT gain vs training-set size n (a figure of the paper): data scaling.
sweep d1=4096 d2=128 s=8 topics=256 m=200 k=50 sigma=0.1 sparse=off n=1000:100000:log:11 reps=8
table global/ttt,global:predicted/oracle:predicted,global,ttt,support
plot "kT=50*256"
