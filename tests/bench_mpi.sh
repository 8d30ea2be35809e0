#!/usr/bin/env bash
# make bench-mpi: one sweep run four ways on this machine, rates side by side.
#
#   threads=1          one process, one thread (the serial rate)
#   threads=2          one process, jobs in parallel on 2 threads
#   mpirun -np 2       rank 0 hands out and writes, 1 worker rank (threads=1)
#   mpirun -np 3       rank 0 and 2 worker ranks (threads=1 each)
#
# Each is run ROUNDS times (default 3), interleaved, so a load that comes and
# goes touches all four alike; the table gives the median jobs/s (from the
# sweep.log entry: jobs written over wall time, start-up included) and, under
# MPI, rank 0's median busy time per job (receive, write, answer).  From these,
# on paper: the ranks rank 0 can keep busy, N_max = T_job / busy.
#
# TTT_BIN and TTT_MPI_BIN name the two programs (make bench-mpi sets them).
set -euo pipefail
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
bin=${TTT_BIN:?set TTT_BIN} mpi=${TTT_MPI_BIN:?set TTT_MPI_BIN}
rounds=${ROUNDS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
grid=(d1=1024 d2=64 topics=16 n=10000 m=100 "k=25,50,100" reps=16 sparse=off --quiet)

rate() { sed -n 's/.* \([0-9.e+-]*\) jobs\/s.*/\1/p' "$1/sweep.log" | tail -1; }
busy() { sed -n 's/.*rank 0 busy \([0-9.e+-]*\) ms per job.*/\1/p' "$1/sweep.log" | tail -1; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A rates busys
for r in $(seq "$rounds"); do
    for way in t1 t2 np2 np3; do
        d=$work/$way.$r
        case $way in
            t1) "$bin" sweep "${grid[@]}" threads=1 --out "$d" ;;
            t2) "$bin" sweep "${grid[@]}" threads=2 --out "$d" ;;
            np2) mpirun --oversubscribe -np 2 "$mpi" sweep "${grid[@]}" threads=1 --out "$d" ;;
            np3) mpirun --oversubscribe -np 3 "$mpi" sweep "${grid[@]}" threads=1 --out "$d" ;;
        esac
        rates[$way]+="$(rate "$d") "
        [[ $way == np* ]] && busys[$way]+="$(busy "$d") "
        cmp -s "$work/t1.1/sweep.tsv" "$d/sweep.tsv" || { echo "bench-mpi: $way differs from threads=1" >&2; exit 1; }
    done
done
jobs=$(sed -n 's/^# reps = .*; jobs = \([0-9]*\);.*/\1/p' "$work/t1.1/sweep.tsv")
printf "sweep: %s (%s jobs), %s rounds, median of each; every sweep.tsv identical\n" "${grid[*]}" "$jobs" "$rounds"
printf "%-28s %10s %8s %22s\n" "way" "jobs/s" "x serial" "rank 0 busy ms/job"
serial=$(tr ' ' '\n' <<<"${rates[t1]}" | grep . | median)
for way in t1 t2 np2 np3; do
    m=$(tr ' ' '\n' <<<"${rates[$way]}" | grep . | median)
    b=-
    [[ $way == np* ]] && b=$(tr ' ' '\n' <<<"${busys[$way]}" | grep . | median)
    case $way in
        t1) name="one process, threads=1" ;; t2) name="one process, threads=2" ;;
        np2) name="mpirun -np 2 (1 worker)" ;; np3) name="mpirun -np 3 (2 workers)" ;;
    esac
    printf "%-28s %10.3f %8.2f %22s\n" "$name" "$m" "$(awk -v a="$m" -v b="$serial" 'BEGIN { print a / b }')" "$b"
done
b3=$(tr ' ' '\n' <<<"${busys[np3]}" | grep . | median)
awk -v s="$serial" -v b="$b3" 'BEGIN {
    t = 1 / s; n = t / (b / 1000);
    printf "on paper: a job takes T = %.3f s on one thread; rank 0 is busy %.3g ms per job, so it can serve\n", t, b;
    printf "about T / busy = %.0f ranks before it is the bottleneck; at 1000 ranks the efficiency is about\n", n;
    printf "min(1, %.0f / 1000) = %.2f (jobs this size; longer jobs scale further)\n", n, (n < 1000 ? n / 1000 : 1) }'
