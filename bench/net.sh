#!/usr/bin/env bash
# bench/net.sh [BUILD_DIR] [COUNT] [BASELINE_BUILD_DIR]: over a fleet of busybox sleepers on
# three --internal networks, measured at 100 containers and again, grown, at COUNT (default
# 300):
#   - ir-netmap --json, and its time per running container. Goal: at COUNT, no more than 1.2x
#     its time per container at 100. At the first step only (it takes seconds per hundred
#     containers), the shell way: docker inspect for the pid, then `nsenter -t PID -n ip -o
#     link` and `ip -o link`, per container. Goal: >= 50x faster.
#   - ir-locate --ip <a fleet container's address> against the seeds' pipeline
#     `docker inspect -f '{{.Name}}{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}'
#     $(docker ps -aq) | grep ADDR`. Goal: >= 5x faster, and under 1 s.
# Then the growth from the first step to the last. With BASELINE_BUILD_DIR the same fleet is
# timed with that build's tools too (before/after). RUNS (default 9) sets the runs per median.
# No packet is sent anywhere.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/ci}
count=${2:-300}
baseline=${3:-}
runs=${RUNS:-9}
source "$here/common.sh"
for t in ir-netmap ir-locate; do
  [[ -x $build/tools/$t ]] || { echo "bench/net.sh: $build/tools/$t not built" >&2; exit 2; }
  [[ -z $baseline || -x $baseline/tools/$t ]] ||
    { echo "bench/net.sh: $baseline/tools/$t not built" >&2; exit 2; }
done
label="forensic.bench=net-$$"
prefix="bench-net-$$"
networks=3
trap 'remove_grown_fleet "$label" "$prefix" "$networks"' EXIT
fleet_networks "$label" "$prefix" "$networks"

# The shell way to map veths: one docker inspect, one nsenter + ip inside, one ip on the host,
# per running container (the host dump is what tells the peer veth of each link-netnsid).
shell_netmap() {
  local id pid
  for id in $(docker ps -q); do
    pid=$(docker inspect -f '{{.State.Pid}}' "$id")
    nsenter -t "$pid" -n ip -o link
    ip -o link
  done
}
shell_locate() {
  docker inspect -f '{{.Name}}{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' \
    $(docker ps -aq) | grep -F "$addr"
}

steps=(100)
((count > 100)) && steps+=("$count")
((count < 100)) && steps=("$count")
declare -A running netmap netmap_base netmap_shell locate locate_base locate_shell
for n in "${steps[@]}"; do
  echo "growing the fleet to $n containers..."
  grow_fleet "$label" "$prefix" "$networks" "$n"
  running[$n]=$(docker ps -q | wc -l)
  target="$prefix-c$((n / 2))"
  addr=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$target")
  # Sanity: both ways find the container before we time them.
  "$build/tools/ir-locate" --ip "$addr" | grep -q -- "$target" ||
    { echo "bench/net.sh: ir-locate did not find $addr" >&2; exit 1; }
  shell_locate >/dev/null || { echo "bench/net.sh: the shell way did not find $addr" >&2; exit 1; }

  netmap[$n]=$(median_ms "$runs" "$build/tools/ir-netmap" --json)
  locate[$n]=$(median_ms "$runs" "$build/tools/ir-locate" --ip "$addr")
  if [[ -n $baseline ]]; then
    netmap_base[$n]=$(median_ms "$runs" "$baseline/tools/ir-netmap" --json)
    locate_base[$n]=$(median_ms "$runs" "$baseline/tools/ir-locate" --ip "$addr")
  fi
  locate_shell[$n]=$(median_ms "$runs" shell_locate)
  [[ $n != "${steps[0]}" ]] || netmap_shell[$n]=$(median_ms 1 shell_netmap)

  echo
  echo "== ${running[$n]} running containers (fleet $n)"
  printf '%-62s %9s ms  %6s us/container\n' "ir-netmap --json" "${netmap[$n]}" \
    "$(per_container_us "${netmap[$n]}" "${running[$n]}")"
  [[ -z $baseline ]] || printf '%-62s %9s ms  %6s us/container\n' "baseline ir-netmap --json" \
    "${netmap_base[$n]}" "$(per_container_us "${netmap_base[$n]}" "${running[$n]}")"
  [[ -z ${netmap_shell[$n]:-} ]] || printf '%-62s %9s ms\n' \
    "docker inspect + nsenter ip -o link + ip -o link, each" "${netmap_shell[$n]}"
  printf '%-62s %9s ms  %6s us/container\n' "ir-locate --ip $addr" "${locate[$n]}" \
    "$(per_container_us "${locate[$n]}" "${running[$n]}")"
  [[ -z $baseline ]] || printf '%-62s %9s ms  %6s us/container\n' "baseline ir-locate" \
    "${locate_base[$n]}" "$(per_container_us "${locate_base[$n]}" "${running[$n]}")"
  printf '%-62s %9s ms\n' "docker inspect -f ... \$(docker ps -aq) | grep $addr" \
    "${locate_shell[$n]}"
  [[ -z ${netmap_shell[$n]:-} ]] ||
    echo "ratio shell / ir-netmap: $(ratio "${netmap_shell[$n]}" "${netmap[$n]}")x (goal >= 50x)"
  echo "ratio shell / ir-locate: $(ratio "${locate_shell[$n]}" "${locate[$n]}")x (goal >= 5x)"
  [[ -z $baseline ]] ||
    echo "ratio shell / baseline ir-locate: $(ratio "${locate_shell[$n]}" "${locate_base[$n]}")x"
  echo "ir-locate under 1 s:     $(awk -v t="${locate[$n]}" 'BEGIN { print (t < 1000) ? "yes" : "NO" }')"
done

growth() {  # LABEL TIMES-ARRAY-NAME
  local -n t=$2
  local a=${steps[0]} b=${steps[-1]}
  printf '%-18s %6sx; per container %sx\n' "$1:" "$(ratio "${t[$b]}" "${t[$a]}")" \
    "$(ratio "$(per_container_us "${t[$b]}" "${running[$b]}")" \
      "$(per_container_us "${t[$a]}" "${running[$a]}")")"
}
if ((${#steps[@]} > 1)); then
  a=${steps[0]} b=${steps[-1]}
  echo
  echo "== growth ${running[$a]} -> ${running[$b]} running ($(ratio "${running[$b]}" "${running[$a]}")x)"
  growth "ir-netmap" netmap
  [[ -z $baseline ]] || growth "baseline ir-netmap" netmap_base
  growth "ir-locate" locate
  [[ -z $baseline ]] || growth "baseline ir-locate" locate_base
  growth "shell locate" locate_shell
  echo "(goal: ir-netmap per container <= 1.2x)"
fi
