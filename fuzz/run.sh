#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, -O1 -g, ASan + UBSan + libFuzzer) and runs each for a
# bounded time: first every regression input in fuzz/regressions/<target>/ (each must pass),
# then fuzzing from a copy of fuzz/corpus/<target>/ (the repository is never written).
#
#   fuzz/run.sh [SECONDS_PER_TARGET=30] [BUILD_DIR=build/fuzz]
#
# Fails when a target crashes, leaks, hits undefined behaviour or times out; the input that did
# it is kept in $BUILD_DIR/fuzz-artifacts/<target>/ (make it a regression fixture). Environment:
# FORENSIC_JOBS (build parallelism, 2), FUZZ_TARGETS (names to run, default all).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
seconds=${1:-30}
build=${2:-$src/build/fuzz}
jobs=${FORENSIC_JOBS:-2}

# A build directory already configured with FORENSIC_FUZZ=ON (e.g. the sanitizer build of
# tests/testbed/hardening.sh, which has the same flags) is reused as it is.
if ! grep -qs '^FORENSIC_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
  cmake -S "$src" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DFORENSIC_FUZZ=ON -DFORENSIC_WERROR=ON \
    -DFORENSIC_BUILD_TESTS=OFF -DFORENSIC_BUILD_TOOLS=OFF >/dev/null
fi
cmake --build "$build" -j "$jobs" --target fuzz_targets

work=$(mktemp -d "${TMPDIR:-/tmp}/forensic-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
artifacts=$build/fuzz-artifacts
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

targets=${FUZZ_TARGETS:-$(cd "$here/corpus" && ls)}
failed=()
for t in $targets; do
  bin=$build/fuzz/$t
  [[ -x $bin ]] || { echo "fuzz: no target $t in $build/fuzz" >&2; exit 2; }
  mkdir -p "$work/$t/corpus" "$work/$t/tmp" "$artifacts/$t"
  log=$work/$t/log
  # Regressions: crashes found before, replayed once each.
  if compgen -G "$here/regressions/$t/*" >/dev/null; then
    if ! TMPDIR=$work/$t/tmp "$bin" "$here/regressions/$t"/* >"$log" 2>&1; then
      echo "fuzz: $t: a regression input fails again" >&2
      tail -n 40 "$log" >&2
      failed+=("$t(regression)")
      continue
    fi
    echo "fuzz: $t: $(ls "$here/regressions/$t" | wc -l) regression input(s) pass"
  fi
  cp -r "$here/corpus/$t/." "$work/$t/corpus/"
  start=$(date +%s)
  if TMPDIR=$work/$t/tmp "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/$t/" \
      "$work/$t/corpus" >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    echo "fuzz: $t: ok, ${runs:-?} runs in $(($(date +%s) - start)) s," \
      "corpus $(ls "$here/corpus/$t" | wc -l) -> $(ls "$work/$t/corpus" | wc -l)"
  else
    echo "fuzz: $t: FAILED (input kept in $artifacts/$t/)" >&2
    grep -E 'ERROR|SUMMARY|runtime error|==[0-9]+==' "$log" | head -n 20 >&2 || true
    tail -n 40 "$log" >&2
    failed+=("$t")
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: every target ran ${seconds} s without a finding"
