#!/usr/bin/env bash
# bench/ps.sh [BUILD_DIR] [COUNT] [BASELINE_BUILD_DIR]: ir-ps --json --all against one raw
# `curl --unix-socket /containers/json?all=1` and against the usual
# `docker inspect $(docker ps -aq)`, over a fleet of busybox sleepers on three --internal
# networks measured at 100 containers and again, grown, at COUNT (default 300). Prints each
# step's times, ratios and time per listed container, then the growth from the first step to
# the last. Goal: ir-ps at most 1.5x the raw list call at 300.
# `ir-ps --no-state-files` (one inspect call per container instead of the engine's state files)
# is timed beside it. With BASELINE_BUILD_DIR the same fleet is timed with that build's ir-ps
# too (before/after).
# RUNS (default 15) sets how many interleaved rounds each median is taken over (the manual
# pipeline runs in the first five only); "cpu" is the tool's user+sys time (GNU time), which
# the load of a shared host moves far less than its wall time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/ci}
count=${2:-300}
baseline=${3:-}
runs=${RUNS:-15}
source "$here/common.sh"
[[ -x $build/tools/ir-ps ]] || { echo "bench/ps.sh: $build/tools/ir-ps not built" >&2; exit 2; }
[[ -z $baseline || -x $baseline/tools/ir-ps ]] ||
  { echo "bench/ps.sh: $baseline/tools/ir-ps not built" >&2; exit 2; }
label="forensic.bench=ps-$$"
prefix="bench-ps-$$"
networks=3
trap 'remove_grown_fleet "$label" "$prefix" "$networks"' EXIT
fleet_networks "$label" "$prefix" "$networks"

steps=(100)
((count > 100)) && steps+=("$count")
((count < 100)) && steps=("$count")
declare -A raw ours base manual listed ours_cpu base_cpu inspected inspected_cpu
for n in "${steps[@]}"; do
  echo "growing the fleet to $n containers..."
  grow_fleet "$label" "$prefix" "$networks" "$n"
  listed[$n]=$(docker ps -aq | wc -l)  # ir-ps --all lists every container of the engine
  reset_rounds
  "$build/tools/ir-ps" --json --all >/dev/null  # warm-up
  for ((r = 0; r < runs; r++)); do
    round raw curl -sf --unix-socket /var/run/docker.sock 'http://d/v1.41/containers/json?all=1'
    round ours "$build/tools/ir-ps" --json --all
    round inspected "$build/tools/ir-ps" --json --all --no-state-files
    [[ -z $baseline ]] || round base "$baseline/tools/ir-ps" --json --all
    ((r >= 5)) || round manual sh -c 'docker inspect $(docker ps -aq) >/dev/null'
  done
  raw[$n]=$(median_of raw) ours[$n]=$(median_of ours) manual[$n]=$(median_of manual)
  ours_cpu[$n]=$(median_cpu_of ours)
  inspected[$n]=$(median_of inspected) inspected_cpu[$n]=$(median_cpu_of inspected)
  [[ -z $baseline ]] || { base[$n]=$(median_of base); base_cpu[$n]=$(median_cpu_of base); }
  echo
  echo "== ${listed[$n]} containers on the engine (fleet $n), medians of $runs interleaved rounds"
  printf '%-46s %8s ms\n' "raw curl /containers/json?all=1" "${raw[$n]}"
  printf '%-46s %8s ms  %6s us/container  cpu %s ms\n' "ir-ps --json --all" \
    "${ours[$n]}" "$(per_container_us "${ours[$n]}" "${listed[$n]}")" "${ours_cpu[$n]}"
  printf '%-46s %8s ms  %6s us/container  cpu %s ms\n' "ir-ps --json --all --no-state-files" \
    "${inspected[$n]}" "$(per_container_us "${inspected[$n]}" "${listed[$n]}")" "${inspected_cpu[$n]}"
  [[ -z $baseline ]] || printf '%-46s %8s ms  %6s us/container  cpu %s ms\n' \
    "baseline ir-ps --json --all" "${base[$n]}" \
    "$(per_container_us "${base[$n]}" "${listed[$n]}")" "${base_cpu[$n]}"
  printf '%-46s %8s ms\n' "docker inspect \$(docker ps -aq)" "${manual[$n]}"
  echo "ratio ir-ps / raw list:       $(ratio "${ours[$n]}" "${raw[$n]}")x (goal <= 1.5x)"
  echo "ratio --no-state-files / raw:  $(ratio "${inspected[$n]}" "${raw[$n]}")x"
  [[ -z $baseline ]] ||
    echo "ratio baseline / raw list:    $(ratio "${base[$n]}" "${raw[$n]}")x"
  echo "ratio docker inspect / ir-ps: $(ratio "${manual[$n]}" "${ours[$n]}")x faster than the usual pipeline"
done

if ((${#steps[@]} > 1)); then
  a=${steps[0]} b=${steps[-1]}
  echo
  echo "== growth ${listed[$a]} -> ${listed[$b]} containers ($(ratio "${listed[$b]}" "${listed[$a]}")x)"
  echo "raw list:        $(ratio "${raw[$b]}" "${raw[$a]}")x"
  echo "ir-ps:           $(ratio "${ours[$b]}" "${ours[$a]}")x (cpu ${ours_cpu[$a]} -> ${ours_cpu[$b]} ms); per container" \
    "$(ratio "$(per_container_us "${ours[$b]}" "${listed[$b]}")" \
      "$(per_container_us "${ours[$a]}" "${listed[$a]}")")x"
  [[ -z $baseline ]] || echo "baseline ir-ps:  $(ratio "${base[$b]}" "${base[$a]}")x (cpu ${base_cpu[$a]} -> ${base_cpu[$b]} ms); per container" \
    "$(ratio "$(per_container_us "${base[$b]}" "${listed[$b]}")" \
      "$(per_container_us "${base[$a]}" "${listed[$a]}")")x"
  echo "--no-state-files: $(ratio "${inspected[$b]}" "${inspected[$a]}")x (cpu ${inspected_cpu[$a]} -> ${inspected_cpu[$b]} ms)"
  echo "docker inspect:  $(ratio "${manual[$b]}" "${manual[$a]}")x"
fi
