#!/usr/bin/env bash
# The fault-injection tier (make check-faults).
#
# For each scenario (a small `ttt run --save-data --out DIR`, a small run
# with a streamed training set and a dictionary not stored, a small `ttt
# sweep --out DIR`, `ttt table --out FILE`) it first counts, with the
# shim build/inject.so (tests/fault/inject.c) in TTT_FAULT=count mode, how
# many allocations and how many writes to regular files one clean run makes,
# then runs the scenario once for every N from 1 to that count with
# TTT_FAULT=malloc:N and once for every N with TTT_FAULT=write:N (every N:
# no stride; the counts are a few hundred).  Each run must:
#
#   - not die by a signal (no crash, no abort) and exit 0 or 1 (never 2: a
#     fault is not bad input);
#   - exit 1: stderr is one line, `ttt: ...`, and DIR (FILE) is byte for
#     byte the previous result that was there before;
#   - exit 0 (the failed call had a fallback, e.g. stdio without a buffer):
#     DIR is the clean run's result (the `# utc:` provenance line aside);
#   - leave no temporary beside DIR (.NAME.ttt-tmp-PID) or FILE
#     (FILE.tmp-PID);
#   - sweeps: a failed sweep, continued with --resume and no fault, exits 0
#     and its sweep.tsv is byte-identical to a clean sweep's.
#
# Excluded from the one-line `ttt:` check, not from the others (documented in
# README.md, "Fault injection"):
#   - allocations before main (the backtrace starts in the loader's _dl_init): the
#     constructors of libgfortran (loaded by OpenBLAS) and libgomp print their
#     own message and exit; ttt has not started.
#   - allocations that libgomp makes through its gomp_malloc (the thread's
#     ICV block in omp_set_num_threads, the team of a parallel region), which
#     prints "libgomp: Out of memory allocating N bytes" and calls exit(1):
#     ttt never sees a NULL.  Recognised by gomp in the injection's backtrace
#     and the libgomp line on stderr; ttt's exit handler then adds its own
#     `ttt:` line and removes the temporary directory, and those are checked.
#
# Usage: tests/fault/run.sh [SCENARIO ...]   (run, stream, sweep, table; default all)
# Environment: TTT_BIN (build/ttt), TTT_INJECT (build/inject.so),
#   TTT_FAULT_WORK (build/faults), TTT_FAULT_JOBS (2 runs at a time).
set -u
cd "$(dirname "$0")/../.."
BIN=$(realpath "${TTT_BIN:-build/ttt}")
SHIM=$(realpath "${TTT_INJECT:-build/inject.so}")
WORK=${TTT_FAULT_WORK:-build/faults}
JOBS=${TTT_FAULT_JOBS:-2}
export OMP_NUM_THREADS=1 LC_ALL=C
ulimit -c 0 # a crash is reported, not dumped
unset TTT_FAULT TTT_FAULT_LOG

# The scenarios: the arguments of the faulted command, of the command that
# makes the previous result, and (sweeps) of the command that continues.
RUN_ARGS="run d1=64 d2=16 s=2 topics=4 n=200 m=10 k=10 threads=1 --save-data --quiet --out"
RUN_PREV="run d1=64 d2=16 s=2 topics=4 n=200 m=10 k=10 threads=1 seed=2 --save-data --quiet --out"
# A streamed training set (two tiles) with a dictionary too large to store
# (generator=counter, d1 d2 > 2^27): the pass, the kept points, the columns
# drawn on demand.
STREAM_ARGS="run d1=9000000 d2=16 s=2 topics=4 n=70000 m=10 k=10 sparse=off train=streamed generator=counter threads=1 --quiet --out"
STREAM_PREV="run d1=9000000 d2=16 s=2 topics=4 n=70000 m=10 k=10 sparse=off train=streamed generator=counter threads=1 seed=2 --quiet --out"
run_args() { if [ "$1" = stream ]; then echo "$STREAM_ARGS"; else echo "$RUN_ARGS"; fi; }
run_prev() { if [ "$1" = stream ]; then echo "$STREAM_PREV"; else echo "$RUN_PREV"; fi; }
SWEEP_ARGS="sweep d1=64 d2=8 s=2 topics=4 n=100 m=4 k=5,7 sparse=off reps=1 threads=1 --quiet --out"
TABLE_SPECS="ttt,global,global/ttt"

# ttt frames of the injection's backtrace, as function:line (for reports).
where() {
    local offs
    offs=$(grep -o "$(basename "$BIN")(+0x[0-9a-f]*)" "$1" 2>/dev/null | grep -o '0x[0-9a-f]*' | head -4)
    [ -n "$offs" ] && addr2line -e "$BIN" -f -p -s $offs 2>/dev/null | sed 's/ (discriminator [0-9]*)//' |
        awk '{printf "%s%s", (NR > 1 ? " < " : ""), $1 "@" $3}'
}

# ---- one injected run: prints "SCENARIO KIND N OUTCOME" or "... FAIL why" ----
# Few processes per run (process start-up dominates the tier's time): the
# comparisons are one diff or cmp, the rest is bash.
one() {
    local sc=$1 kind=$2 n=$3 base="$WORK/$1" slot=$4
    local target log="$slot/log" err="$slot/err" rc outcome="" problem=""
    : >"$log"
    case $sc in
    run|stream)
        target="$slot/D"
        cp -a "$base/prev" "$target"
        TTT_FAULT=$kind:$n TTT_FAULT_LOG=$log LD_PRELOAD=$SHIM "$BIN" $(run_args "$sc") "$target" >/dev/null 2>"$err"
        rc=$? ;;
    sweep)
        target="$slot/S"
        TTT_FAULT=$kind:$n TTT_FAULT_LOG=$log LD_PRELOAD=$SHIM "$BIN" $SWEEP_ARGS "$target" >/dev/null 2>"$err"
        rc=$? ;;
    table)
        target="$slot/T.tsv"
        cp -a "$base/prev.tsv" "$target"
        TTT_FAULT=$kind:$n TTT_FAULT_LOG=$log LD_PRELOAD=$SHIM "$BIN" table "$WORK/sweep/clean/sweep.tsv" \
            --y "$TABLE_SPECS" --out "$target" >/dev/null 2>"$err"
        rc=$? ;;
    esac
    local logtext errlines injected=0 gomp=0 last=""
    logtext=$(<"$log")
    mapfile -t errlines < <(grep -v '^$' "$err") # libgomp starts its message with an empty line
    [ ${#errlines[@]} -gt 0 ] && last=${errlines[-1]}
    [[ $logtext == *"injected $kind $n"* ]] && injected=1
    local frame="" outer="" l
    while IFS= read -r l; do # the first frame below the shim's (who allocated) and the outermost
        [[ -z $frame && $l != injected* && $l != *inject.so* ]] && frame=$l
        outer=$l
    done <"$log"
    [[ $frame == *libgomp.so* && ${errlines[0]:-} == "libgomp: Out of memory allocating "* ]] && gomp=1
    if [ "$rc" -ge 128 ]; then
        problem="killed by signal $((rc - 128))"
    elif [ "$rc" = 1 ]; then
        if [ "$sc" = sweep ]; then
            # A failed sweep keeps the rows it wrote: --resume must finish it.
            if ! "$BIN" $SWEEP_ARGS "$target" --resume >/dev/null 2>"$slot/resume.err"; then
                problem="--resume failed: $(tail -n 1 "$slot/resume.err")"
            elif ! cmp -s "$target/sweep.tsv" "$base/clean/sweep.tsv"; then
                problem="sweep.tsv after --resume differs from a clean sweep"
            fi
        elif [ "$sc" = run ] || [ "$sc" = stream ]; then
            diff -r "$base/prev" "$target" >/dev/null 2>&1 || problem="the previous result changed"
        else
            cmp -s "$base/prev.tsv" "$target" || problem="the previous result changed"
        fi
        if [[ $outer == *ld-linux* ]]; then # called from the loader's _dl_init: before main
            outcome=exit1-before-main
        elif [ "$gomp" = 1 ] && { [[ $sc != run && ${#errlines[@]} == 1 ]] ||
            [[ ${#errlines[@]} == 2 && $last == "ttt: "* ]]; }; then
            outcome=exit1-libgomp
        elif [ ${#errlines[@]} != 1 ] || [[ $last != "ttt: "* ]]; then
            problem="${problem:+$problem; }stderr is not one 'ttt:' line: $(printf '%s|' "${errlines[@]}" | cut -c1-160)"
        else
            outcome=exit1
        fi
    elif [ "$rc" = 0 ]; then
        outcome=exit0-identical
        case $sc in
        sweep) cmp -s "$target/sweep.tsv" "$base/clean/sweep.tsv" ;;
        run|stream) diff -r -I '^# utc: ' -I '^# command: ' "$base/clean" "$target" >/dev/null 2>&1 ;;
        table) diff -I '^# utc: ' -I '^# command: ' "$base/clean.tsv" "$target" >/dev/null 2>&1 ;;
        esac || problem="exit 0 but the result differs from a clean run"
        [ "$injected" = 1 ] || outcome=not-reached
    else
        problem="exit $rc: $(printf '%s|' "${errlines[@]}" | cut -c1-160)"
    fi
    local left=("$slot"/.*ttt-tmp-* "$slot"/*.tmp-*)
    [ ${#left[@]} = 0 ] || problem="${problem:+$problem; }temporaries left: ${left[*]##*/}"
    if [ -n "$problem" ]; then
        echo "$sc $kind $n FAIL $problem [at $(where "$log")]"
        mkdir -p "$WORK/failed" && rm -rf "$WORK/failed/$sc-$kind-$n" && cp -a "$slot" "$WORK/failed/$sc-$kind-$n"
    else
        echo "$sc $kind $n $outcome"
    fi
    rm -rf "$target" "${left[@]}"
}

# Worker w of JOBS: every JOBS-th line of the job list, in its own slot.
worker() {
    local w=$1 i=0 sc kind n slot="$WORK/slot-$1"
    shopt -s nullglob dotglob
    rm -rf "$slot" && mkdir -p "$slot"
    while read -r sc kind n; do
        [ $((i++ % JOBS)) = "$w" ] && one "$sc" "$kind" "$n" "$slot"
    done <"$WORK/jobs" >"$WORK/results-$w"
    rm -rf "$slot"
}

# ---- preparation: the previous results, the clean results, the counts ----
prepare() {
    local sc=$1 base="$WORK/$1"
    rm -rf "$base" && mkdir -p "$base"
    case $sc in
    run|stream)
        "$BIN" $(run_prev "$sc") "$base/prev" >/dev/null || return 1
        cp -a "$base/prev" "$base/clean"
        TTT_FAULT=count TTT_FAULT_LOG=$base/count LD_PRELOAD=$SHIM "$BIN" $(run_args "$sc") "$base/clean" >/dev/null ||
            return 1
        ;;
    sweep)
        TTT_FAULT=count TTT_FAULT_LOG=$base/count LD_PRELOAD=$SHIM "$BIN" $SWEEP_ARGS "$base/clean" >/dev/null || return 1 ;;
    table)
        "$BIN" table "$WORK/sweep/clean/sweep.tsv" --y ttt --out "$base/prev.tsv" || return 1
        cp -a "$base/prev.tsv" "$base/clean.tsv"
        TTT_FAULT=count TTT_FAULT_LOG=$base/count LD_PRELOAD=$SHIM "$BIN" table "$WORK/sweep/clean/sweep.tsv" \
            --y "$TABLE_SPECS" --out "$base/clean.tsv" >/dev/null || return 1
        ;;
    esac
}

scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(run stream sweep table)
[[ " ${scenarios[*]} " == *" table "* && " ${scenarios[*]} " != *" sweep "* ]] && scenarios=(sweep "${scenarios[@]}")
mkdir -p "$WORK" && rm -rf "$WORK/failed"
start=$(date +%s)
for sc in "${scenarios[@]}"; do
    if ! prepare "$sc"; then
        echo "check-faults: cannot prepare the $sc scenario" >&2
        exit 1
    fi
done
for sc in "${scenarios[@]}"; do
    for kind in malloc write; do
        count=$(grep "^$kind " "$WORK/$sc/count" | cut -d' ' -f2)
        seq 1 "$count" | sed "s/^/$sc $kind /"
    done
done >"$WORK/jobs"
for ((w = 0; w < JOBS; w++)); do
    worker $w &
done
wait
cat "$WORK"/results-* | sort -k1,1 -k2,2 -k3,3n >"$WORK/results"
seconds=$(($(date +%s) - start))

# ---- summary ----
grep ' FAIL ' "$WORK/results" | sort -k1,1 -k2,2 -k3,3n
printf '\n%-6s %-6s %6s %8s  %s\n' scenario kind calls injected outcomes
status=0
for sc in "${scenarios[@]}"; do
    for kind in malloc write; do
        count=$(grep "^$kind " "$WORK/$sc/count" | cut -d' ' -f2)
        before=$(grep "^before_main_$kind " "$WORK/$sc/count" | cut -d' ' -f2)
        ran=$(grep -c "^$sc $kind " "$WORK/results")
        outcomes=$(grep "^$sc $kind " "$WORK/results" | cut -d' ' -f4 | sort | uniq -c |
            awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1}')
        printf '%-6s %-6s %6s %8s  %s (%s before main)\n' "$sc" "$kind" "$count" "$ran" "$outcomes" "$before"
        [ "$ran" = "$count" ] || status=1
    done
done
failures=$(grep -c ' FAIL ' "$WORK/results")
echo "check-faults: $(wc -l <"$WORK/results") injected runs, $failures failures, ${seconds}s"
[ "$failures" = 0 ] || status=1
exit $status
