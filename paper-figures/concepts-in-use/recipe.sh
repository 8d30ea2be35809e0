# Error vs the number of concepts in use U at fixed width d2 = 128 (a figure
# of the paper): the feature space is exponentially smaller than the concept
# space.  One instance family: A and w* drawn column by column from their
# counter-based streams (generator=counter), d1 = 1e9 so that the random pools
# hardly overlap and U (in_use, the union of the pools) is about T p.  Each
# topic keeps PER training points: n = PER T, 4.2e7 at the largest T
# (streamed: drawn again tile by tile, never stored).  No grid couples n to
# T, so each T is its own sweep (in T<T>/), and their rows are joined into
# one table for `ttt table` and `ttt fit`.
D2=128 S=8 P=16 K=50 PER=64
KEYS="generator=counter d1=1000000000 d2=$D2 s=$S pool=$P k=$K m=200 sigma=0.1 sparse=off"
# T:reps.  Replicates are cheap at small U; at U = 1e7 one run takes minutes
# (drawing and holding 1e7 columns of A, the exact E_glob over them, and
# 4.2e7 streamed points).  --fast stops at T = 16384 (U about 2.6e5).
GRID="64:8 256:8 1024:8 4096:8 16384:4 65536:2 262144:1 655360:1"
[ $fast = 1 ] && GRID="64:8 256:8 1024:8 4096:8 16384:4"
parts=()
for tr in $GRID; do
  T=${tr%:*} R=${tr#*:}
  N=$((PER * T))
  # the helpers write into $work: this subshell points them at T<T>/
  ( work=$work/T$T; sweep $KEYS topics=$T n=$N reps=$R )
  parts+=("$work/T$T/sweep.tsv")
done
# The join: one header row, then every sweep's rows with point = the sweep's
# rank, job numbered on, and row_check (the rows are no longer the bytes a
# sweep wrote) replaced by columns computed here: explained = 1 - E_glob/Var f,
# the share of Var f the best global linear head on the d2 features explains;
# n_per_topic = n/T; and the isotropic reference at U = in_use concepts,
# iso_use = 1 - d2/U, with d2_over_use = d2/U (the program's iso_rel is
# 1 - d2/d1, which is 1 - 1.3e-7 at d1 = 1e9, whatever U is).
ROWS=$work/rows.tsv
awk -F'\t' -v OFS='\t' -v grid="$GRID" '
  BEGIN { print "# the rows of one sweep per T:reps in " grid " (T<T>/sweep.tsv), joined by"
          print "# paper-figures/concepts-in-use/recipe.sh: point = the rank of its sweep, job numbered on,"
          print "# row_check replaced by explained n_per_topic iso_use d2_over_use" }
  FNR == 1 { part++; base = jobs }
  /^#/ { next }
  !hdr[part]++ { for (i = 1; i <= NF; i++) c[$i] = i
                 if (part == 1) { NF--; print $0, "explained", "n_per_topic", "iso_use", "d2_over_use" }
                 next }
  { $c["job"] += base; $c["point"] = part - 1; if ($c["job"] + 1 > jobs) jobs = $c["job"] + 1
    r = $c["d2"] / $c["in_use"]; NF--
    print $0, sprintf("%.17g", 1 - $c["e_glob_rel"]), $c["n"] / $c["topics"], sprintf("%.17g", 1 - r),
          sprintf("%.17g", r) }' "${parts[@]}" > "$ROWS"
table global:rel,ttt:rel,oracle:rel,e_glob_rel,explained,iso_use,d2_over_use,n_per_topic,in_use,purity,support
# TTT's log-log slope in U, with its 95% interval; the global head's
# explained share 1 - E_glob/Var f against U (the isotropic codes' d2/U has
# slope -1).
L=$(fit_line --y ttt:rel --x in_use)
E=$(fit_line --y explained --x in_use)
# At the largest U, TTT's error, the purity and |S|; the range over the
# points of measured global / exact E_glob (both relative) with the U and n
# of the one farthest from 1; the range of the global head's explained share
# over d2/U.
X=$(awk -F'\t' '/^#/ { next }
  !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
  { top = $c["in_use"]; tr = $c["ttt_rel"]; pu = $c["purity"]; su = $c["support"]
    g = $c["global_rel"] / $c["e_glob_rel"]; e = $c["explained"] / $c["d2_over_use"]
    if (!seen++) { gl = gh = g; el = eh = e; dev = -1 }
    if (g < gl) gl = g; if (g > gh) gh = g; if (e < el) el = e; if (e > eh) eh = e
    d = g > 1 ? g - 1 : 1 - g; if (d > dev) { dev = d; gu = $c["in_use"]; gn = $c["n"] } }
  END { printf "%s %s %s %s %.4f %.4f %s %s %.3f %.3f", top, tr, pu, su, gl, gh, gu, gn, el, eh }' \
  "$work/$name.tsv")
FIXED="generator=counter d1=1e9 d2=$D2 s=$S pool=$P k=$K m=200 sigma=0.1; n = $PER T"
set -- $L $E $X
plot "slope=$1" "slope_lo=$2" "slope_hi=$3" "icpt=$4" "eslope=$5" "eslope_lo=$6" "eslope_hi=$7" \
     "eicpt=$8" "u_top=$9" "ttt_top=${10}" "purity_top=${11}" "support_top=${12}" "glob_lo=${13}" \
     "glob_hi=${14}" "glob_u=${15}" "glob_n=${16}" "expl_lo=${17}" "expl_hi=${18}" "per=$PER" "d2=$D2"
