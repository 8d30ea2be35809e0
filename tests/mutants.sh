#!/usr/bin/env bash
# tests/mutants.sh — mutation testing of the test suite and of `ttt verify`.
#
#   tests/mutants.sh                   every mutant of tests/mutants.txt
#   tests/mutants.sh ID ...            only these mutants (ids as in the list)
#   tests/mutants.sh --check [ID ...]  only check that every mutant applies (fast)
#   tests/mutants.sh --list            the ids and descriptions
#   make mutants [MUTANTS="ID ..."]
#
# Each mutant is one plausible bug (tests/mutants.txt says how to write one).
# The script snapshots the source tree once (the git-tracked and untracked,
# not ignored, files of the working tree, as they are now; or a revision,
# MUTANTS_REV) into a temporary directory, builds it and runs the suite and
# `ttt verify --quick` on it unmutated: the baseline.  Then, for every mutant,
# it copies the built snapshot, replaces the mutant's text (which must occur
# exactly once), rebuilds (only the mutated object recompiles) and runs
#   (a) the Check suite, as `make _check` does:
#       TTT_BIN=build/ttt TTT_GOLDEN=tests/golden build/check_ttt
#       with test_verify_quick_passes skipped (TTT_VERIFY_TEST_SKIP=1): it runs
#       the same `ttt verify --quick` as (b), so the suite kills a mutant when
#       its other tests ("unit") or (b) do, and verify runs once, and
#   (b) `build/ttt verify --quick` alone.
# A step kills a mutant when it crashes, times out, or fails where the
# baseline passes.  A test or check that already fails on the baseline cannot
# kill ("SURVIVED(as baseline)"), so a tree that is being edited still gives
# results; a baseline suite that crashes stops the run.  A mutant whose text
# is not found exactly once, or that does not build, is an error of the list:
# exit status 2, naming it.
#
# Output: one line per mutant, the kill rates and the survivors on stdout; the
# table as TSV in $MUTANTS_TSV.  Exit status 0 when every mutant ran (survivors
# or not; MUTANTS_STRICT=1 makes a mutant that survives the suite exit 1),
# 2 on an error of the list, the tree or the harness.
#
# Environment:
#   MUTANTS_LIST     the list                  (default tests/mutants.txt)
#   MUTANTS_TSV      the table                 (default build/mutants.tsv)
#   MUTANTS_REV      snapshot this git revision (git archive) instead of the
#                    working tree, e.g. MUTANTS_REV=HEAD while others edit it
#   MUTANTS_TMP      where the copies go       (default $TMPDIR or /tmp)
#   MUTANTS_TIMEOUT  seconds per build / suite / verify step (default 600)
#   MUTANTS_MAKE_JOBS  make -j for the builds  (default 2)
#   MUTANTS_BASELINE=0 skip running the unmutated suite and verify (still built)
#   MUTANTS_KEEP=1   keep the copies and logs  (printed at the end)
#   MUTANTS_STRICT=1 exit 1 if any mutant survives the suite
# Needs bash, perl (Debian base), tar, make, coreutils timeout; not python.

set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LIST=${MUTANTS_LIST:-$ROOT/tests/mutants.txt}
TSV=${MUTANTS_TSV:-$ROOT/build/mutants.tsv}
TIMEOUT=${MUTANTS_TIMEOUT:-600}
JOBS=${MUTANTS_MAKE_JOBS:-2}
TMPBASE=${MUTANTS_TMP:-${TMPDIR:-/tmp}}
# GIT_REV is fixed so that the copies (outside any repository) build alike.
MAKEVARS=(BUILD=build GIT_REV=mutants)

die() { echo "mutants: $*" >&2; exit 2; }

check_only=0 list_only=0
case ${1:-} in
    --check) check_only=1; shift ;;
    --list) list_only=1; shift ;;
    -h | --help) sed -n "2,/^$/s/^# \\{0,1\\}//p" "$0"; exit 0 ;;
    -*) die "unknown option $1 (--check, --list, --help)" ;;
esac

for tool in perl tar make timeout; do
    command -v "$tool" >/dev/null || die "$tool not found"
done
[[ -r $LIST ]] || die "cannot read the list $LIST"

# ---------------------------------------------------------------- the list
# Fields are separated by single tabs; an empty replacement deletes the text.
ids=() files=() finds=() repls=() descs=()
declare -A seen=()
lineno=0
while IFS= read -r line || [[ -n $line ]]; do
    lineno=$((lineno + 1))
    line=${line%$'\r'}
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    tabs=${line//[^$'\t']/}
    (( ${#tabs} == 4 )) || die "$LIST:$lineno: ${#tabs} tabs, want 4 (id, file, find, replace, description)"
    # split by hand: read with IFS=tab would merge empty fields
    rest=$line
    id=${rest%%$'\t'*};   rest=${rest#*$'\t'}
    file=${rest%%$'\t'*}; rest=${rest#*$'\t'}
    find=${rest%%$'\t'*}; rest=${rest#*$'\t'}
    repl=${rest%%$'\t'*}; rest=${rest#*$'\t'}
    desc=$rest
    [[ $id =~ ^[A-Za-z0-9_.-]+$ ]] || die "$LIST:$lineno: bad id '$id' (letters, digits, _ . -)"
    [[ -z ${seen[$id]:-} ]] || die "$LIST:$lineno: duplicate id $id"
    seen[$id]=1
    [[ -n $file && -n $find && -n $desc ]] || die "$LIST:$lineno ($id): empty file, find or description"
    [[ $find != "$repl" ]] || die "$LIST:$lineno ($id): the replacement equals the text"
    ids+=("$id"); files+=("$file"); finds+=("$find"); repls+=("$repl"); descs+=("$desc")
done <"$LIST"
(( ${#ids[@]} > 0 )) || die "no mutants in $LIST"
if (( list_only )); then
    for i in "${!ids[@]}"; do printf "%-26s %-24s %s\n" "${ids[$i]}" "${files[$i]}" "${descs[$i]}"; done
    exit 0
fi

# The selection: ids given on the command line, in list order.
sel=()
if (( $# > 0 )); then
    for want in "$@"; do
        [[ -n ${seen[$want]:-} ]] || die "no mutant '$want' in $LIST"
    done
    for i in "${!ids[@]}"; do
        for want in "$@"; do
            [[ ${ids[$i]} == "$want" ]] && { sel+=("$i"); break; }
        done
    done
else
    sel=("${!ids[@]}")
fi

# ---------------------------------------------------------------- helpers
# mutate PATH FIND REPL [apply]: counts the (possibly overlapping) occurrences
# of FIND in PATH; exit 3 unless exactly one; with apply, replaces it in place.
mutate() {
    MUT_FIND=$2 MUT_REPL=$3 MUT_APPLY=${4:-} perl -e '
        my $path = $ARGV[0];
        my ($f, $r) = ($ENV{MUT_FIND}, $ENV{MUT_REPL});
        open(my $in, "<", $path) or die "cannot read $path: $!\n";
        my $s = do { local $/; <$in> };
        close $in;
        my ($n, $at, $p) = (0, -1, 0);
        while (($p = index($s, $f, $p)) >= 0) { $n++; $at = $p if $at < 0; $p++ }
        if ($n != 1) { print STDERR "found $n times\n"; exit 3 }
        exit 0 unless $ENV{MUT_APPLY};
        substr($s, $at, length $f) = $r;
        open(my $out, ">", $path) or die "cannot write $path: $!\n";
        print $out $s;
        close $out or die "cannot write $path: $!\n";
    ' "$1"
}

# setminus "a,b,c" "b,x": the names of the first list not in the second.
setminus() {
    local -A drop=()
    local x out=()
    IFS=, read -ra xs <<<"$2"
    for x in "${xs[@]}"; do [[ -n $x ]] && drop[$x]=1; done
    IFS=, read -ra xs <<<"$1"
    for x in "${xs[@]}"; do [[ -n $x && -z ${drop[$x]:-} ]] && out+=("$x"); done
    (IFS=,; echo "${out[*]}")
}

# verdict RC FAILED BASE_RC BASE_FAILED: the verdict of one step.  Killed
# when it times out or crashes, or fails where the unmutated tree passed, or
# fails a test (check) that passes unmutated; a step that fails only as the
# unmutated tree does survives ("as baseline").
verdict() {
    local rc=$1 failed=$2 base_rc=$3 base_failed=$4
    if (( rc == 0 )); then echo SURVIVED
    elif (( rc == 124 || rc == 137 )); then echo "killed(timeout)"
    elif (( rc > 128 )); then echo "killed(signal $((rc - 128)))"
    elif (( base_rc == 0 )); then echo killed
    elif [[ -z $failed ]]; then (( rc == base_rc )) && echo "SURVIVED(as baseline)" || echo killed
    elif [[ -n $(setminus "$failed" "$base_failed") ]]; then echo killed
    else echo "SURVIVED(as baseline)"
    fi
}

# The failing Check tests of a suite log ("file:line:F:tcase:test:iter: msg").
failing_tests() {
    perl -ne 'print "$1\n" if /^[^:\s]+:\d+:[FE]:[^:]*:([^:]+):/' "$1" | sort -u | paste -sd, -
}
# The failing checks of a verify log (rows ending in FAIL).
failing_checks() {
    perl -ne 'print "$1\n" if /^(\S+)\s.*\sFAIL\s*$/' "$1" | paste -sd, -
}

run_suite() { # DIR LOG -> exit status
    (cd "$1" && TTT_VERIFY_TEST_SKIP=1 TTT_BIN=build/ttt TTT_GOLDEN=tests/golden timeout -k 10 "$TIMEOUT" \
        build/check_ttt) >"$2" 2>&1
}
run_verify() { # DIR LOG -> exit status
    (cd "$1" && timeout -k 10 "$TIMEOUT" build/ttt verify --quick) >"$2" 2>&1
}
build() { # DIR LOG -> exit status
    (cd "$1" && timeout -k 10 "$TIMEOUT" make -s -j"$JOBS" "${MAKEVARS[@]}" build/ttt build/check_ttt) >"$2" 2>&1
}

# ---------------------------------------------------------------- the snapshot
mkdir -p "$TMPBASE" || die "cannot create $TMPBASE"
WORK=$(mktemp -d "$TMPBASE/ttt-mutants.XXXXXX") || die "cannot create a directory in $TMPBASE"
cleanup() {
    if [[ ${MUTANTS_KEEP:-0} == 1 ]]; then
        echo "mutants: copies and logs kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'echo "mutants: interrupted" >&2; exit 2' INT TERM

SRC=$WORK/src
mkdir -p "$SRC"
if [[ -n ${MUTANTS_REV:-} ]]; then
    git -C "$ROOT" archive --format=tar "$MUTANTS_REV" | tar -xf - -C "$SRC" ||
        die "cannot snapshot revision $MUTANTS_REV"
    origin="revision $(git -C "$ROOT" rev-parse --short=12 "$MUTANTS_REV")"
else
    # Tracked and untracked-but-not-ignored files that exist now (a tracked
    # file deleted in the working tree is left out, as make would see it).
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
        perl -0ne 'chomp; print "$_\0" if -f $_' | tar --null -T - -cf -) | tar -xf - -C "$SRC" ||
        die "cannot snapshot the working tree of $ROOT"
    origin="working tree of $ROOT at $(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null || echo ' + local edits')"
fi

# Every selected mutant must apply before anything is built.
bad=0
for i in "${sel[@]}"; do
    f=$SRC/${files[$i]}
    if [[ ! -f $f ]]; then
        echo "mutants: ${ids[$i]}: no file ${files[$i]}" >&2; bad=1; continue
    fi
    if ! msg=$(mutate "$f" "${finds[$i]}" "${repls[$i]}" 2>&1); then
        echo "mutants: ${ids[$i]}: the text is not found exactly once in ${files[$i]} (${msg:-perl failed}): ${finds[$i]}" >&2
        bad=1
    fi
done
(( bad == 0 )) || die "fix the list (the source changed under it?); nothing was run"
if (( check_only )); then
    echo "mutants: all ${#sel[@]} selected mutants of $LIST apply to the $origin"
    exit 0
fi

start=$SECONDS
echo "mutants: ${#sel[@]} of ${#ids[@]} mutants of $LIST on the $origin"
echo "mutants: building the unmutated snapshot in $SRC"
build "$SRC" "$WORK/baseline-build.log" || { tail -n 30 "$WORK/baseline-build.log" >&2; die "the unmutated tree does not build"; }
base_rc_s=0 base_rc_v=0 base_ft= base_fc=
if [[ ${MUTANTS_BASELINE:-1} != 0 ]]; then
    run_suite "$SRC" "$WORK/baseline-suite.log"; base_rc_s=$?
    base_ft=$(failing_tests "$WORK/baseline-suite.log")
    if (( base_rc_s != 0 )) && { (( base_rc_s > 123 )) || [[ -z $base_ft ]]; }; then
        tail -n 30 "$WORK/baseline-suite.log" >&2
        die "the unmutated suite crashes or times out (exit $base_rc_s): no kill would mean anything"
    fi
    run_verify "$SRC" "$WORK/baseline-verify.log"; base_rc_v=$?
    base_fc=$(failing_checks "$WORK/baseline-verify.log")
    echo "mutants: baseline ($((SECONDS - start)) s): suite $( ((base_rc_s)) && echo "FAILS: $base_ft" || echo passes)," \
         "verify --quick $( ((base_rc_v)) && echo "FAILS (exit $base_rc_v): ${base_fc:-no check named}" || echo passes)"
    if (( base_rc_s || base_rc_v )); then
        echo "mutants: WARNING: the unmutated tree fails; a mutant is killed only by a test or check that passes unmutated" \
             "(or by a crash or timeout), so what already fails cannot kill anything" >&2
    fi
fi

# ---------------------------------------------------------------- the mutants
mkdir -p "$(dirname "$TSV")" || die "cannot create the directory of $TSV"
printf 'id\tfile\ttests\tunit\tverify\tfailing_tests\tfailing_checks\tbuild_s\tsuite_s\tverify_s\tdescription\n' >"$TSV" ||
    die "cannot write $TSV"

total=0 k_tests=0 k_unit=0 k_verify=0
equiv=() equiv_killed=()
surv_tests=() surv_verify=()
for i in "${sel[@]}"; do
    id=${ids[$i]} file=${files[$i]}
    t0=$SECONDS
    M=$WORK/m-$id
    cp -a "$SRC" "$M" || die "$id: cannot copy the snapshot"
    mutate "$M/$file" "${finds[$i]}" "${repls[$i]}" apply || die "$id: cannot apply the mutant to $file"
    touch "$M/$file"
    if ! build "$M" "$WORK/$id-build.log"; then
        tail -n 30 "$WORK/$id-build.log" >&2
        die "mutant $id does not build (an error of the list, not a kill)"
    fi
    t1=$SECONDS
    run_suite "$M" "$WORK/$id-suite.log"; rc_s=$?
    t2=$SECONDS
    run_verify "$M" "$WORK/$id-verify.log"; rc_v=$?
    t3=$SECONDS
    ft=$(failing_tests "$WORK/$id-suite.log") fc=$(failing_checks "$WORK/$id-verify.log")
    verify=$(verdict $rc_v "$fc" $base_rc_v "$base_fc")
    # "unit": the suite without test_verify_quick_passes, which is skipped
    # (TTT_VERIFY_TEST_SKIP) because it would run the same `ttt verify
    # --quick` as step (b): the suite kills when either does.
    unit=$(verdict $rc_s "$ft" $base_rc_s "$base_ft")
    if [[ $unit != SURVIVED* ]]; then tests=$unit
    elif [[ $verify != SURVIVED* ]]; then tests="killed(verify)"
    else tests=$unit
    fi
    if [[ ${descs[$i]} == EQUIVALENT:* ]]; then
        # Not counted in the rates; a kill means the claim of equivalence is wrong.
        equiv+=("$id")
        [[ $tests != SURVIVED* || $verify != SURVIVED* ]] && equiv_killed+=("$id")
    else
        total=$((total + 1))
        [[ $tests != SURVIVED* ]] && k_tests=$((k_tests + 1)) || surv_tests+=("$id")
        [[ $unit != SURVIVED* ]] && k_unit=$((k_unit + 1))
        [[ $verify != SURVIVED* ]] && k_verify=$((k_verify + 1)) || surv_verify+=("$id")
    fi
    printf '%-22s tests: %-17s verify: %-17s unit: %-9s %s\n' "$id" "$tests" "$verify" "$unit" "${descs[$i]}"
    [[ -n $ft ]] && printf '%-22s   failing tests: %s\n' "" "$ft"
    [[ -n $fc ]] && printf '%-22s   failing checks: %s\n' "" "$fc"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$file" "$tests" "$unit" "$verify" "${ft:--}" \
        "${fc:--}" $((t1 - t0)) $((t2 - t1)) $((t3 - t2)) "${descs[$i]}" >>"$TSV"
    [[ ${MUTANTS_KEEP:-0} == 1 ]] || rm -rf "$M"
done

pct() { (( $2 )) && echo $(( $1 * 100 / $2 )) || echo 0; }
echo
echo "tests kill $k_tests of $total ($(pct $k_tests $total)%), verify alone kills $k_verify of $total ($(pct $k_verify $total)%)," \
     "the tests other than verify kill $k_unit of $total ($(pct $k_unit $total)%)"
echo "survive the tests: ${surv_tests[*]:-none}"
echo "survive verify:    ${surv_verify[*]:-none}"
(( ${#equiv[@]} )) && echo "marked EQUIVALENT (not counted): ${equiv[*]}"
(( ${#equiv_killed[@]} )) && echo "WARNING: marked EQUIVALENT but killed (the description is wrong): ${equiv_killed[*]}"
(( base_rc_s )) && echo "note: the unmutated suite fails too: $base_ft (those tests cannot kill)"
(( base_rc_v )) && echo "note: verify --quick fails unmutated: ${base_fc:-exit $base_rc_v} (those checks cannot kill)"
echo "table: $TSV ($((SECONDS - start)) s)"
if [[ ${MUTANTS_STRICT:-0} == 1 && ${#surv_tests[@]} -gt 0 ]]; then
    exit 1
fi
exit 0
