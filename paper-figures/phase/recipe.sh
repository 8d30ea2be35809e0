# Phase diagram of log10(global error / TTT error) over (d2/d1, s/d2)
# (SPEC section 6, figure 4): where specialization pays.
sweep d1=1024 topics=32 n=10000 m=200 k=50 sigma=0.1 sparse=off d2=16,32,64,128,256,512 s=1,2,4,8,16,32,64 reps=5
table global/ttt,global,ttt,support
plot
