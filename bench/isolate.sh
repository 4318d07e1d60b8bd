#!/usr/bin/env bash
# bench/isolate.sh [BUILD_DIR] [RUNS]: on one container of an --internal network, over RUNS
# (default 9) rounds, the median of
#   - `ir-isolate C` (network quarantine: rules in both families, state record) against
#     `docker network disconnect N C`, the seeds' way of cutting a container off; each is undone
#     (ir-isolate --release, docker network connect) between rounds, untimed. Goal: <= 1.0x.
#   - the supervising part: with `ir-isolate --follow` running, the time from `docker start C`
#     returning until the quarantine is in force on the container's new veth (polled in
#     iptables-save every 10 ms), against the same disconnect. Goal: <= 1.0x.
# The container sits on an --internal network; no packet is sent anywhere.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/ci}
runs=${2:-9}
source "$here/common.sh"
label="forensic.bench=isolate-$$"
network="bench-iso-$$"
state=$(mktemp -d /tmp/bench-isolate.XXXXXX)
tool=${ISOLATE_TOOL:-$build/tools/ir-isolate}
[[ -x $tool ]] || { echo "bench/isolate.sh: $tool not built" >&2; exit 2; }
supervisor=
cleanup() {
  [[ -z $supervisor ]] || { kill "$supervisor" 2>/dev/null; wait "$supervisor" 2>/dev/null || true; }
  "$tool" "$network-0" --release --state-dir "$state" >/dev/null 2>&1 || true
  remove_fleet "$label" "$network"
  rm -rf "$state"
}
trap cleanup EXIT

make_fleet "$label" 1 "$network"
c="$network-0"
now_us() { echo $(($(date +%s%N) / 1000)); }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "%.1f\n", a[int((NR+1)/2)]/1000}'; }

# The container's host veth, as the kernel names it (its eth0's peer).
veth_of() {
  local pid idx
  pid=$(docker inspect -f '{{.State.Pid}}' "$1")
  idx=$(nsenter -t "$pid" -n ip -o link show eth0 | sed -n 's/.*eth0@if\([0-9]*\).*/\1/p')
  ip -o link 2>/dev/null | awk -F': ' -v i="$idx" '$1 == i { sub(/@.*/, "", $2); print $2 }'
}

iso=() disc=()
"$tool" "$c" --state-dir "$state" >/dev/null && "$tool" "$c" --release --state-dir "$state" >/dev/null
for ((i = 0; i < runs; i++)); do
  t0=$(now_us); "$tool" "$c" --state-dir "$state" >/dev/null; t1=$(now_us)
  iso+=($((t1 - t0)))
  "$tool" "$c" --release --state-dir "$state" >/dev/null
  t0=$(now_us); docker network disconnect "$network" "$c"; t1=$(now_us)
  disc+=($((t1 - t0)))
  docker network connect "$network" "$c"
done

# The supervisor re-applies on start; the quarantine is in force when a rule names the new veth.
"$tool" "$c" --state-dir "$state" >/dev/null
"$tool" --follow --state-dir "$state" >/dev/null 2>&1 &
supervisor=$!
sleep 1
follow=()
for ((i = 0; i < runs; i++)); do
  docker stop -t 0 "$c" >/dev/null
  docker start "$c" >/dev/null
  t0=$(now_us)
  v=$(veth_of "$c")
  until [[ -n $v ]]; do v=$(veth_of "$c" 2>/dev/null); done  # a dump interrupted by churn
  until iptables-save -t filter | grep -F "physdev-in $v " | grep -qF forensic-quarantine; do
    sleep 0.01
    (($(now_us) - t0 < 10000000)) || { echo "bench/isolate.sh: not re-applied in 10 s" >&2; exit 1; }
  done
  t1=$(now_us)
  follow+=($((t1 - t0)))
done

isolate_ms=$(median "${iso[@]}")
disconnect_ms=$(median "${disc[@]}")
follow_ms=$(median "${follow[@]}")
printf '%-62s %9s ms\n' "ir-isolate $c (network quarantine)" "$isolate_ms"
printf '%-62s %9s ms\n' "docker network disconnect $network $c" "$disconnect_ms"
printf '%-62s %9s ms\n' "ir-isolate --follow: docker start -> rules on the new veth" "$follow_ms"
echo "ratio ir-isolate / disconnect:          $(ratio "$isolate_ms" "$disconnect_ms")x (goal <= 1.0x)"
echo "ratio --follow re-apply / disconnect:   $(ratio "$follow_ms" "$disconnect_ms")x (goal <= 1.0x)"
