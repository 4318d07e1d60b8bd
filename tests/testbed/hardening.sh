#!/usr/bin/env bash
# Hardening stage of CI, run by run-tests.sh after the normal build and tests (dependencies,
# engine and test image already set up):
#   1. the whole test suite (unit + integration, tools as subprocesses) built with ASan + UBSan
#      in its own build directory, every sanitizer report of every process collected and fatal;
#   2. every libFuzzer target for FUZZ_SECONDS (30) each, after replaying its regressions.
# One clang build directory serves both (the library is compiled once, with ASan + UBSan and
# libFuzzer's coverage instrumentation).
# Environment: FORENSIC_JOBS (2), FORENSIC_SAN_BUILD_DIR (build/ci-san), FUZZ_SECONDS (30),
# FORENSIC_CTEST_ARGS (extra ctest arguments).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
jobs=${FORENSIC_JOBS:-2}
san=${FORENSIC_SAN_BUILD_DIR:-$src/build/ci-san}
stamp() { date +%s; }

t0=$(stamp)
# -O1: most of -O2's speed for the tests at a fraction of its compile time under ASan; line
# tables only: the reports name file and line of every frame, without full debug information
# to compile and link.
cmake -S "$src" -B "$san" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DFORENSIC_SANITIZE=ON -DFORENSIC_FUZZ=ON \
  -DFORENSIC_WERROR=ON >/dev/null
cmake --build "$san" -j "$jobs"
t1=$(stamp)

# Tests spawn the tools: the options reach them through the environment. abort_on_error makes a
# report a SIGABRT (never an exit code a test might expect); log_path keeps every process's
# report, including those of tools whose stderr a test swallowed.
logs=$san/sanitizer-logs
rm -rf "$logs" && mkdir -p "$logs"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:check_initialization_order=1:log_path=$logs/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1:log_path=$logs/ubsan"
status=0
# The peak-memory test is left to the normal build: ASan's shadow memory and its 256 MiB
# quarantine put any process far above the 64 MiB bound (325 MiB measured), whatever it streams.
# So is the sparse 10 GiB export: it hashes 10 GiB of zeros, which instrumented code does in
# nine minutes (CI's time limit) while adding nothing the odd-names test does not cover.
(cd "$san" && ctest --output-on-failure -j 1 -E 'in bounded memory|sparse 10 GiB' \
  ${FORENSIC_CTEST_ARGS:-}) ||
  status=$?
t2=$(stamp)
if compgen -G "$logs/*" >/dev/null; then
  echo "hardening: sanitizer reports:" >&2
  for f in "$logs"/*; do echo "== $f" >&2; head -n 60 "$f" >&2; done
  status=1
fi
unset ASAN_OPTIONS UBSAN_OPTIONS
((status == 0)) || { echo "hardening: sanitizer build failed" >&2; exit "$status"; }

FORENSIC_JOBS=$jobs bash "$src/fuzz/run.sh" "${FUZZ_SECONDS:-30}" "$san"
t3=$(stamp)
echo "hardening: sanitizer build $((t1 - t0)) s, sanitizer tests $((t2 - t1)) s," \
  "fuzzing $((t3 - t2)) s"
