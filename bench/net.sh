#!/usr/bin/env bash
# bench/net.sh [BUILD_DIR] [COUNT]: over COUNT (default 100) running containers,
#   - ir-netmap --json against the shell way (docker inspect for the pid, then
#     `nsenter -t PID -n ip -o link` and `ip -o link`, per container). Goal: >= 50x faster.
#   - ir-locate --ip <a container's address> against
#     `docker inspect -f '{{.Name}}{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}'
#     $(docker ps -aq) | grep ADDR`. Goal: >= 5x faster, and under 1 s.
# The fleet sits on an --internal network; no packet is sent anywhere.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/ci}
count=${2:-100}
source "$here/common.sh"
label="forensic.bench=net-$$"
network="bench-net-$$"
trap 'remove_fleet "$label" "$network"' EXIT

for t in ir-netmap ir-locate; do
  [[ -x $build/tools/$t ]] || { echo "bench/net.sh: $build/tools/$t not built" >&2; exit 2; }
done

echo "creating $count containers..."
make_fleet "$label" "$count" "$network"
running=$(docker ps -q | wc -l)

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

addr=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$network\").IPAddress}}" \
  "$network-$((count / 2))")
shell_locate() {
  docker inspect -f '{{.Name}}{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' \
    $(docker ps -aq) | grep -F "$addr"
}

# Sanity: both ways find the container before we time them.
"$build/tools/ir-locate" --ip "$addr" | grep -q -- "$network-$((count / 2))" ||
  { echo "bench/net.sh: ir-locate did not find $addr" >&2; exit 1; }
shell_locate >/dev/null || { echo "bench/net.sh: the shell way did not find $addr" >&2; exit 1; }

netmap=$(median_ms 9 "$build/tools/ir-netmap" --json)
netmap_shell=$(median_ms 3 shell_netmap)
locate=$(median_ms 9 "$build/tools/ir-locate" --ip "$addr")
locate_shell=$(median_ms 9 shell_locate)

printf '%-62s %9s ms\n' "ir-netmap --json ($running running)" "$netmap"
printf '%-62s %9s ms\n' "docker inspect + nsenter ip -o link + ip -o link, each" "$netmap_shell"
printf '%-62s %9s ms\n' "ir-locate --ip $addr" "$locate"
printf '%-62s %9s ms\n' "docker inspect -f ... \$(docker ps -aq) | grep $addr" "$locate_shell"
echo "ratio shell / ir-netmap: $(ratio "$netmap_shell" "$netmap")x (goal >= 50x)"
echo "ratio shell / ir-locate: $(ratio "$locate_shell" "$locate")x (goal >= 5x)"
echo "ir-locate under 1 s:     $(awk -v t="$locate" 'BEGIN { print (t < 1000) ? "yes" : "NO" }')"
