# ttt — build, test, benchmark.  Plain GNU make.
#
#   make            build build/ttt
#   make demo       run the default comparison, write demo-out/ and one PNG
#   make check      build and run the Check suites (quick tier, < 3 min)
#   make check-full the long statistical tier
#   make check-asan the quick tier under AddressSanitizer + UBSan
#   make check-decoder the decoder's suite in two more builds: its plain-C paths (the neighbours' too), and blocks of odd sizes
#   make valgrind   a small run of the suites under valgrind
#   make fuzz       libFuzzer harnesses (clang), each run FUZZ_SECONDS (60) s
#   make check-faults  every allocation and file write of small runs made to fail in turn
#   make mpi        build/ttt-mpi against Open MPI (mpirun -np N build/ttt-mpi sweep ...)
#   make check-mpi  an mpirun -np 3 sweep and a 3-shard merge, each compared with one process
#   make bench-mpi  one sweep with 1 and 2 threads and 2 and 3 MPI ranks: jobs/s (not a test)
#   make bench      each phase against the machine's limits, growth exponents, NumPy beside it (not a test)
#   make figures    the paper figures into paper-figures/out/ (FIG=name, FAST=1)
#   make teach      the teaching pictures and a narrated walkthrough
#   make deps       install missing Debian packages with apt-get (root)
#   make install    PREFIX=/usr/local DESTDIR=

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BUILD     ?= build
CC        ?= cc
CFLAGS    ?= -O2 -g
WARN      := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -ffp-contract=off
OPENMP    ?= -fopenmp

# The CBLAS is this one variable.  OpenBLAS (its OpenMP build, so that BLAS
# calls made inside our parallel loops run single-threaded in the same pool);
# set CBLAS_LIBS=-lgslcblas for GSL's reference CBLAS as a fallback.
OPENBLAS_DIR ?= /usr/lib/x86_64-linux-gnu/openblas-openmp
CBLAS_LIBS   ?= -L$(OPENBLAS_DIR) -Wl,-rpath,$(OPENBLAS_DIR) -lopenblas
CBLAS_NAME   ?= $(if $(findstring openblas,$(CBLAS_LIBS)),openblas,$(CBLAS_LIBS))
# LAPACK's symmetric eigensolver (dsyevd) through the LAPACKE C interface.
# liblapacke is listed before OpenBLAS, whose own LAPACK then answers its
# calls (it is searched before the reference liblapack that liblapacke
# pulls in).
LAPACK_LIBS  ?= -llapacke

GIT_REV   := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD -- 2>/dev/null || echo -dirty)
# The revision is compiled into the objects that print it; this stamp changes
# only when the revision does, so they are rebuilt then and only then.
REV_STAMP := $(BUILD)/git-rev
$(shell mkdir -p $(BUILD) && [ "$$(cat $(REV_STAMP) 2>/dev/null)" = "$(GIT_REV)" ] || echo "$(GIT_REV)" > $(REV_STAMP))

# Debian packages the project needs; 'make deps' installs the missing ones.
DEB_PACKAGES := libgsl-dev libopenblas-openmp-dev liblapacke-dev librandom123-dev check pkg-config gnuplot-nox
# Only 'make fuzz' needs these (clang and its libFuzzer runtime, which
# libclang-rt-14-dev provides); 'make deps' installs them when it is asked for
# by name or with fuzz, never as the prerequisite of 'make check' or 'make demo'.
FUZZ_DEB_PACKAGES := clang-14 libclang-rt-14-dev
# Only 'make mpi' and 'make check-mpi' need Open MPI; installed likewise.
MPI_DEB_PACKAGES := libopenmpi-dev openmpi-bin
DEPS_WANTED := $(DEB_PACKAGES) $(if $(filter deps fuzz fuzz-build,$(MAKECMDGOALS)),$(FUZZ_DEB_PACKAGES)) \
               $(if $(filter deps mpi check-mpi bench-mpi,$(MAKECMDGOALS)),$(MPI_DEB_PACKAGES))
# Say what is missing instead of failing in the compiler.  The entry points a
# newcomer types (demo, check) install first; the others only say what to do.
SETUP_GOALS := deps clean demo check check-asan check-decoder fuzz fuzz-build mpi check-mpi bench-mpi
DEPS_OK := $(shell pkg-config --exists gsl check 2>/dev/null && test -e $(OPENBLAS_DIR)/libopenblas.so && test -e /usr/include/lapacke.h && test -e /usr/include/Random123/philox.h && echo yes)
ifneq ($(DEPS_OK),yes)
ifneq ($(filter-out $(SETUP_GOALS),$(or $(MAKECMDGOALS),all)),)
$(error GSL, Check, OpenBLAS, LAPACKE or Random123 not found: run 'make deps' as root (installs $(DEB_PACKAGES)))
endif
endif

GSL_CFLAGS   := $(shell pkg-config --cflags gsl 2>/dev/null)
GSL_LIBS     := $(filter-out -lgslcblas,$(shell pkg-config --libs gsl 2>/dev/null))
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

CPPFLAGS += -Isim -Isim/cli -Ianalysis -DTTT_VERSION='"$(VERSION)"' -DTTT_GIT_REV='"$(GIT_REV)"' \
            -DTTT_CBLAS='"$(CBLAS_NAME)"' $(GSL_CFLAGS) $(TTT_DEFS)
ALL_CFLAGS = $(WARN) $(OPENMP) $(CFLAGS)
LDLIBS_ALL = $(GSL_LIBS) $(LAPACK_LIBS) $(CBLAS_LIBS) -lm

LIB_SRC  := $(filter-out sim/main.c,$(wildcard sim/*.c)) $(wildcard analysis/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
# The command-line front end (sim/main.c and sim/cli/): above both sim/ and analysis/.
CLI_SRC  := sim/main.c $(wildcard sim/cli/*.c)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(filter-out tests/bench.c,$(wildcard tests/*.c))
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
HDRS     := $(wildcard sim/*.h sim/cli/*.h analysis/*.h tests/*.h)

.PHONY: all demo _demo check _check check-full check-asan check-decoder check-faults valgrind bench figures teach gallery deps clean install golden \
        fuzz fuzz-build _fuzz-bins mpi _mpi check-mpi bench-mpi

all: $(BUILD)/ttt

$(BUILD)/%.o: %.c $(HDRS) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c $(HDRS) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CHECK_CFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/sim/ttt_io.o $(BUILD)/analysis/ttt_sweep.o $(BUILD)/analysis/ttt_sweep_dir.o $(CLI_OBJ): $(REV_STAMP)

$(BUILD)/libttt.a: $(LIB_OBJ)
	ar rcs $@ $^

$(BUILD)/ttt: $(CLI_OBJ) $(BUILD)/libttt.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/check_ttt: $(TEST_OBJ) $(BUILD)/libttt.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS_ALL)

$(BUILD)/ttt-bench: $(BUILD)/tests/bench.o $(BUILD)/libttt.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

demo: deps
	@$(MAKE) --no-print-directory _demo

_demo: $(BUILD)/ttt
	$(BUILD)/ttt run --out demo-out
	@if command -v gnuplot >/dev/null; then \
	  gnuplot -e "dir='demo-out'" plots/demo.gp && echo "figure: demo-out/demo.png"; \
	else echo "gnuplot not found: run 'make deps' for the figure" >&2; exit 1; fi

# The quick tier.  TTT_BIN tells the CLI tests which program to run.
check: deps
	@$(MAKE) --no-print-directory _check

# TTT_INJECT: the fault shim for suite "trust" (not under the sanitizers,
# whose runtime must come first).
CHECK_INJECT = $(if $(findstring sanitize,$(CFLAGS)),,TTT_INJECT=$(BUILD)/inject.so)

_check: $(BUILD)/check_ttt $(BUILD)/ttt $(BUILD)/inject.so
	TTT_BIN=$(BUILD)/ttt TTT_GOLDEN=tests/golden $(CHECK_INJECT) $(BUILD)/check_ttt

check-full: $(BUILD)/check_ttt $(BUILD)/ttt $(BUILD)/inject.so
	TTT_FULL=1 TTT_BIN=$(BUILD)/ttt TTT_GOLDEN=tests/golden $(CHECK_INJECT) $(BUILD)/check_ttt

check-asan: deps
	$(MAKE) BUILD=build-asan CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined' \
	  LDFLAGS='-fsanitize=address,undefined' _check

# The sparse suite in two more builds of the decoder, each giving the same
# codes as OMP's, to the bit across threads and paths: its paths for
# compilers without GNU C's extensions (TTT_PLAIN_C: BLAS for the atoms'
# products, scalar screening; built by GCC), and blocks of odd sizes (a
# 1 MiB bound on a block's state cuts the larger tests' blocks from up to
# 256 points to at most 85, widths the kernel pads).
check-decoder: deps
	$(MAKE) BUILD=build-plain CFLAGS='-O2 -g -DTTT_PLAIN_C' build-plain/check_ttt
	CK_RUN_SUITE=sparse build-plain/check_ttt
	CK_RUN_SUITE=neighbours build-plain/check_ttt
	$(MAKE) BUILD=build-small CFLAGS='-O2 -g -DTTT_DECODE_BLOCK_BYTES=1048576' build-small/check_ttt
	CK_RUN_SUITE=sparse build-small/check_ttt

# One small run of every estimator (gd included) under valgrind: memory errors
# and definite leaks fail it.  OMP_NUM_THREADS=1 keeps it quick.
valgrind: $(BUILD)/ttt
	rm -rf $(BUILD)/valgrind-out
	OMP_NUM_THREADS=1 valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
	  $(BUILD)/ttt run d1=300 d2=24 s=3 topics=10 background=1 n=600 m=20 k=15 gd_steps=5 \
	  --save-data --quiet --out $(BUILD)/valgrind-out
	OMP_NUM_THREADS=1 valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
	  $(BUILD)/ttt run d1=300 d2=24 s=3 topics=10 n=600 m=20 k=15 space=concept metric=cosine \
	  --quiet --out $(BUILD)/valgrind-out
	@echo "valgrind: no memory errors, no definite leaks"

# The fuzz tier: libFuzzer harnesses in tests/fuzz/, built with clang under
# ASan + UBSan into build-fuzz/ (the library too, without OpenMP; build/ is
# not touched):
#   fuzz_config  a config file's text (ttt_params_read_stream) and one key=value word
#   fuzz_sweep   sweep words (ttt_sweep_word), then ttt_sweep_check and the job count
#   fuzz_table   the TSV reader ttt_table_read, ttt_table_column, ttt_table_number
#   fuzz_resume  an existing sweep.tsv through the --resume scanner ttt_sweep_scan
# 'make fuzz' runs each (or FUZZ_HARNESSES="...") for FUZZ_SECONDS seconds (default 60) on a scratch copy
# of tests/fuzz/corpus/<harness>/ (the committed corpus is never grown), with
# tests/fuzz/<harness>.dict, and prints executions, seconds and crashes per
# harness.  First each harness reruns its reproducers of fixed bugs,
# tests/fuzz/regressions/<harness>-*.  A crash, sanitizer report, timeout (FUZZ_TIMEOUT s per input) or
# out-of-memory fails it; the input is kept in build-fuzz/crashes/<harness>/ (until that harness's next run)
# and the log in build-fuzz/logs/<harness>.log.  Rerun one input with
# build-fuzz/fuzz/<harness> FILE.  Needs clang (make deps installs it).
FUZZ_BUILD   := build-fuzz
FUZZ_CC      ?= clang-14
FUZZ_SAN     := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_SECONDS ?= 60
FUZZ_TIMEOUT ?= 25
FUZZ_HARNESSES ?= fuzz_config fuzz_sweep fuzz_table fuzz_resume

fuzz-build: deps
	@command -v $(FUZZ_CC) >/dev/null || { echo "$(FUZZ_CC) not found: run 'make deps' as root (installs $(FUZZ_DEB_PACKAGES))" >&2; exit 2; }
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) OPENMP= \
	  CFLAGS='-O1 -g -fno-omit-frame-pointer $(FUZZ_SAN)' LDFLAGS='$(FUZZ_SAN)' _fuzz-bins

_fuzz-bins: $(FUZZ_HARNESSES:%=$(BUILD)/fuzz/%)

.SECONDARY: $(FUZZ_HARNESSES:%=$(BUILD)/tests/fuzz/%.o)

$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/%.o $(BUILD)/libttt.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

fuzz: fuzz-build
	@mkdir -p $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/logs $(FUZZ_BUILD)/tmp; \
	failed=""; \
	for h in $(FUZZ_HARNESSES); do \
	  rm -rf $(FUZZ_BUILD)/corpus/$$h $(FUZZ_BUILD)/crashes/$$h; \
	  cp -r tests/fuzz/corpus/$$h $(FUZZ_BUILD)/corpus/$$h; \
	  mkdir -p $(FUZZ_BUILD)/crashes/$$h; \
	  dict=""; [ -f tests/fuzz/$$h.dict ] && dict="-dict=tests/fuzz/$$h.dict"; \
	  log=$(FUZZ_BUILD)/logs/$$h.log; \
	  regs=$$(ls tests/fuzz/regressions/$$h-* 2>/dev/null); \
	  if [ -n "$$regs" ] && ! $(FUZZ_BUILD)/fuzz/$$h -timeout=$(FUZZ_TIMEOUT) $$regs >$(FUZZ_BUILD)/logs/$$h-regressions.log 2>&1; then \
	    echo "$$h: a reproducer in tests/fuzz/regressions/ fails again: see $(FUZZ_BUILD)/logs/$$h-regressions.log" >&2; \
	    failed="$$failed $$h"; continue; fi; \
	  start=$$(date +%s); \
	  TMPDIR=$(CURDIR)/$(FUZZ_BUILD)/tmp $(FUZZ_BUILD)/fuzz/$$h $(FUZZ_BUILD)/corpus/$$h $$dict \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=$(FUZZ_TIMEOUT) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/crashes/$$h/ >$$log 2>&1; rc=$$?; \
	  secs=$$(( $$(date +%s) - start )); \
	  execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log | tail -1); \
	  crashes=$$(ls $(FUZZ_BUILD)/crashes/$$h | wc -l); \
	  corpus=$$(ls $(FUZZ_BUILD)/corpus/$$h | wc -l); \
	  printf '%-12s %10s executions  %5s s  corpus %5s  exit %s  crash files %s\n' \
	    $$h "$${execs:-?}" $$secs $$corpus $$rc $$crashes; \
	  if [ $$rc -ne 0 ]; then failed="$$failed $$h"; \
	    grep -m1 -E 'ERROR: (AddressSanitizer|libFuzzer|UndefinedBehaviorSanitizer|LeakSanitizer)|runtime error' $$log >&2; \
	    echo "  see $$log; inputs in $(FUZZ_BUILD)/crashes/$$h/" >&2; fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: FAILED:$$failed" >&2; exit 1; fi; \
	echo "fuzz: no crashes"

# The fault-injection tier: an LD_PRELOAD shim (tests/fault/inject.c) fails the
# N-th allocation or file write of a small run, sweep and table, for every N;
# tests/fault/run.sh checks exit 1, one message, the previous result intact
# and no temporaries.  About 2 min on 2 cores.
$(BUILD)/inject.so: tests/fault/inject.c Makefile
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -Wall -Wextra -O2 -g -fPIC -shared -o $@ $< -ldl

check-faults: $(BUILD)/ttt $(BUILD)/inject.so
	TTT_BIN=$(BUILD)/ttt TTT_INJECT=$(BUILD)/inject.so TTT_FAULT_WORK=$(BUILD)/faults bash tests/fault/run.sh

# Not a test: it fails only when NumPy's predictions disagree with ttt's
# (tests/bench_numpy.py, run when /usr/bin/python3 has numpy).
bench: $(BUILD)/ttt-bench
	$(BUILD)/ttt-bench --out $(BUILD)/bench
	@if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then \
	  echo "/usr/bin/python3 tests/bench_numpy.py $(BUILD)/bench"; \
	  /usr/bin/python3 tests/bench_numpy.py $(BUILD)/bench; \
	else echo "NumPy comparison skipped: /usr/bin/python3 has no numpy (Debian: python3-numpy)"; fi

# Rewrites tests/golden/ from the current build: only after checking a diff by hand.
golden: $(BUILD)/ttt
	rm -rf $(BUILD)/golden && $(BUILD)/ttt generate tests/golden/golden.conf --out $(BUILD)/golden
	cp $(BUILD)/golden/data/*.npy tests/golden/

# Every figure of the gallery from scratch into paper-figures/out/:
#   make figures              all (about 20 min on 2 cores, 14 for concepts-in-use)
#   make figures FIG=k-scaling one (names: the folders of paper-figures/)
#   make figures FAST=1       at most 2 replicates per point: a preview
figures: $(BUILD)/ttt
	TTT=$(BUILD)/ttt paper-figures/make-figures $(if $(FAST),--fast) $(FIG)

# Copies the figures the README shows into docs/gallery/ (after make figures and make teach).
gallery:
	mkdir -p docs/gallery
	cp paper-figures/out/*.png teach-out/teach.png docs/gallery/

# The teaching pictures and the narrated walkthrough (docs/ gets the figures).
teach: $(BUILD)/ttt
	$(BUILD)/ttt demo --out teach-out
	gnuplot -e "dir='teach-out'" plots/teach.gp
	gnuplot -e "dir='teach-out'" plots/teach-k.gp
	@echo "figures: teach-out/teach.png, teach-out/teach-k.gif"

deps:
	@missing=""; \
	for p in $(DEPS_WANTED); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
	    echo "missing packages:$$missing (install them, or run 'make deps' as root on Debian)" >&2; exit 2; fi; \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# The MPI build: every object compiled by mpicc with TTT_MPI into build-mpi/
# (the sweep driver hands jobs out across ranks), the program copied to
# build/ttt-mpi.  check-mpi: tests/mpi.sh compares an mpirun -np 3 sweep and a
# 3-shard merge with the one-process sweep.tsv, byte for byte.
mpi: deps
	@$(MAKE) --no-print-directory _mpi

_mpi:
	@command -v mpicc >/dev/null || { echo "mpicc not found: run 'make deps' as root (installs $(MPI_DEB_PACKAGES))" >&2; exit 2; }
	$(MAKE) --no-print-directory BUILD=build-mpi CC=mpicc TTT_DEFS=-DTTT_MPI build-mpi/ttt
	@mkdir -p $(BUILD) && cp build-mpi/ttt $(BUILD)/ttt-mpi

check-mpi: mpi
	@$(MAKE) --no-print-directory $(BUILD)/ttt
	TTT_BIN=$(BUILD)/ttt TTT_MPI_BIN=$(BUILD)/ttt-mpi bash tests/mpi.sh

# One sweep four ways (1 and 2 threads, mpirun -np 2 and 3): jobs/s side by
# side, rank 0's time per job, and what that means for 1000 ranks (not a test).
bench-mpi: mpi
	@$(MAKE) --no-print-directory $(BUILD)/ttt
	TTT_BIN=$(BUILD)/ttt TTT_MPI_BIN=$(BUILD)/ttt-mpi bash tests/bench_mpi.sh

install: $(BUILD)/ttt
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/ttt $(DESTDIR)$(PREFIX)/bin/ttt

clean:
	rm -rf build build-asan build-plain build-small build-fuzz build-mpi demo-out teach-out paper-figures/out

# Mutation testing: each plausible bug of tests/mutants.txt is applied to a
# copy of the tree, which is rebuilt and run through the Check suite and
# `ttt verify --quick`; prints who kills what, writes build/mutants.tsv.
# Slow (about 2 min per mutant on 2 cores).  MUTANTS="id ..." runs a subset.
mutants:
	bash tests/mutants.sh $(MUTANTS)
