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
# timed with that build's tools too (before/after). RUNS (default 9) sets the interleaved
# rounds per median (each round runs every command once, so all see the same load); "cpu" is
# a tool's user+sys time (GNU time), which a shared host's load moves far less than wall time.
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
  # (other users of the engine may remove a container between the list and its inspect)
  { docker inspect -f '{{.Name}}{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' \
    $(docker ps -aq) 2>/dev/null || true; } | grep -F "$addr"
}

steps=(100)
((count > 100)) && steps+=("$count")
((count < 100)) && steps=("$count")
declare -A running netmap netmap_base netmap_shell locate locate_base locate_shell netmap_cpu \
  netmap_base_cpu locate_cpu locate_base_cpu
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

  reset_rounds
  "$build/tools/ir-netmap" --json >/dev/null  # warm-up
  for ((r = 0; r < runs; r++)); do
    round netmap "$build/tools/ir-netmap" --json
    round locate "$build/tools/ir-locate" --ip "$addr"
    if [[ -n $baseline ]]; then
      round netmap_base "$baseline/tools/ir-netmap" --json
      round locate_base "$baseline/tools/ir-locate" --ip "$addr"
    fi
    round locate_shell shell_locate
  done
  netmap[$n]=$(median_of netmap) locate[$n]=$(median_of locate)
  locate_shell[$n]=$(median_of locate_shell)
  netmap_cpu[$n]=$(median_cpu_of netmap) locate_cpu[$n]=$(median_cpu_of locate)
  if [[ -n $baseline ]]; then
    netmap_base[$n]=$(median_of netmap_base) locate_base[$n]=$(median_of locate_base)
    netmap_base_cpu[$n]=$(median_cpu_of netmap_base) locate_base_cpu[$n]=$(median_cpu_of locate_base)
  fi
  [[ $n != "${steps[0]}" ]] || netmap_shell[$n]=$(median_ms 1 shell_netmap)

  echo
  echo "== ${running[$n]} running containers (fleet $n)"
  printf '%-62s %9s ms  %6s us/container  cpu %s ms\n' "ir-netmap --json" "${netmap[$n]}" \
    "$(per_container_us "${netmap[$n]}" "${running[$n]}")" "${netmap_cpu[$n]}"
  [[ -z $baseline ]] || printf '%-62s %9s ms  %6s us/container  cpu %s ms\n' \
    "baseline ir-netmap --json" "${netmap_base[$n]}" \
    "$(per_container_us "${netmap_base[$n]}" "${running[$n]}")" "${netmap_base_cpu[$n]}"
  [[ -z ${netmap_shell[$n]:-} ]] || printf '%-62s %9s ms\n' \
    "docker inspect + nsenter ip -o link + ip -o link, each" "${netmap_shell[$n]}"
  printf '%-62s %9s ms  %6s us/container  cpu %s ms\n' "ir-locate --ip $addr" "${locate[$n]}" \
    "$(per_container_us "${locate[$n]}" "${running[$n]}")" "${locate_cpu[$n]}"
  [[ -z $baseline ]] || printf '%-62s %9s ms  %6s us/container  cpu %s ms\n' "baseline ir-locate" \
    "${locate_base[$n]}" "$(per_container_us "${locate_base[$n]}" "${running[$n]}")" \
    "${locate_base_cpu[$n]}"
  printf '%-62s %9s ms\n' "docker inspect -f ... \$(docker ps -aq) | grep $addr" \
    "${locate_shell[$n]}"
  [[ -z ${netmap_shell[$n]:-} ]] ||
    echo "ratio shell / ir-netmap: $(ratio "${netmap_shell[$n]}" "${netmap[$n]}")x (goal >= 50x)"
  echo "ratio shell / ir-locate: $(ratio "${locate_shell[$n]}" "${locate[$n]}")x (goal >= 5x)"
  [[ -z $baseline ]] ||
    echo "ratio shell / baseline ir-locate: $(ratio "${locate_shell[$n]}" "${locate_base[$n]}")x"
  echo "ir-locate under 1 s:     $(awk -v t="${locate[$n]}" 'BEGIN { print (t < 1000) ? "yes" : "NO" }')"
done

growth() {  # LABEL TIMES-ARRAY-NAME [CPU-ARRAY-NAME]
  local -n t=$2
  local a=${steps[0]} b=${steps[-1]} c=""
  if [[ -n ${3:-} ]]; then
    local -n u=$3
    c=" (cpu ${u[$a]} -> ${u[$b]} ms)"
  fi
  printf '%-20s %6sx%s; per container %sx\n' "$1:" "$(ratio "${t[$b]}" "${t[$a]}")" "$c" \
    "$(ratio "$(per_container_us "${t[$b]}" "${running[$b]}")" \
      "$(per_container_us "${t[$a]}" "${running[$a]}")")"
}
if ((${#steps[@]} > 1)); then
  a=${steps[0]} b=${steps[-1]}
  echo
  echo "== growth ${running[$a]} -> ${running[$b]} running ($(ratio "${running[$b]}" "${running[$a]}")x)"
  growth "ir-netmap" netmap netmap_cpu
  [[ -z $baseline ]] || growth "baseline ir-netmap" netmap_base netmap_base_cpu
  growth "ir-locate" locate locate_cpu
  [[ -z $baseline ]] || growth "baseline ir-locate" locate_base locate_base_cpu
  growth "shell locate" locate_shell
  echo "(goal: ir-netmap per container <= 1.2x)"
fi
