#!/usr/bin/env bash
# bench/ps.sh [BUILD_DIR] [COUNT] [BASELINE_BUILD_DIR]: ir-ps --json --all against one raw
# `curl --unix-socket /containers/json?all=1` and against the usual
# `docker inspect $(docker ps -aq)`, over a fleet of busybox sleepers on three --internal
# networks measured at 100 containers and again, grown, at COUNT (default 300). Prints each
# step's times, ratios and time per listed container, then the growth from the first step to
# the last. Goal: ir-ps at most 1.5x the raw list call at 300.
# With BASELINE_BUILD_DIR the same fleet is timed with that build's ir-ps too (before/after).
# RUNS (default 15) sets how many runs each median is taken over.
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
declare -A raw ours base manual listed
for n in "${steps[@]}"; do
  echo "growing the fleet to $n containers..."
  grow_fleet "$label" "$prefix" "$networks" "$n"
  listed[$n]=$(docker ps -aq | wc -l)  # ir-ps --all lists every container of the engine
  raw[$n]=$(median_ms "$runs" curl -sf --unix-socket /var/run/docker.sock \
    'http://d/v1.41/containers/json?all=1')
  ours[$n]=$(median_ms "$runs" "$build/tools/ir-ps" --json --all)
  [[ -z $baseline ]] || base[$n]=$(median_ms "$runs" "$baseline/tools/ir-ps" --json --all)
  manual[$n]=$(median_ms 5 sh -c 'docker inspect $(docker ps -aq) >/dev/null')
  echo
  echo "== ${listed[$n]} containers on the engine (fleet $n)"
  printf '%-52s %8s ms\n' "raw curl /containers/json?all=1" "${raw[$n]}"
  printf '%-52s %8s ms  %6s us/container\n' "ir-ps --json --all (list + every inspect)" \
    "${ours[$n]}" "$(per_container_us "${ours[$n]}" "${listed[$n]}")"
  [[ -z $baseline ]] || printf '%-52s %8s ms  %6s us/container\n' "baseline ir-ps --json --all" \
    "${base[$n]}" "$(per_container_us "${base[$n]}" "${listed[$n]}")"
  printf '%-52s %8s ms\n' "docker inspect \$(docker ps -aq)" "${manual[$n]}"
  echo "ratio ir-ps / raw list:       $(ratio "${ours[$n]}" "${raw[$n]}")x (goal <= 1.5x)"
  [[ -z $baseline ]] ||
    echo "ratio baseline / raw list:    $(ratio "${base[$n]}" "${raw[$n]}")x"
  echo "ratio docker inspect / ir-ps: $(ratio "${manual[$n]}" "${ours[$n]}")x faster than the usual pipeline"
done

if ((${#steps[@]} > 1)); then
  a=${steps[0]} b=${steps[-1]}
  echo
  echo "== growth ${listed[$a]} -> ${listed[$b]} containers ($(ratio "${listed[$b]}" "${listed[$a]}")x)"
  echo "raw list:        $(ratio "${raw[$b]}" "${raw[$a]}")x"
  echo "ir-ps:           $(ratio "${ours[$b]}" "${ours[$a]}")x; per container" \
    "$(ratio "$(per_container_us "${ours[$b]}" "${listed[$b]}")" \
      "$(per_container_us "${ours[$a]}" "${listed[$a]}")")x"
  [[ -z $baseline ]] || echo "baseline ir-ps:  $(ratio "${base[$b]}" "${base[$a]}")x; per container" \
    "$(ratio "$(per_container_us "${base[$b]}" "${listed[$b]}")" \
      "$(per_container_us "${base[$a]}" "${listed[$a]}")")x"
  echo "docker inspect:  $(ratio "${manual[$b]}" "${manual[$a]}")x"
fi
