#!/usr/bin/env bash
# bench/hunt.sh [BUILD_DIR] [COUNT]: ir-hunt --json over COUNT (default 50) more running
# containers than the host already has, against the manual way of getting the same raw facts:
# `lsns -J` (every namespace with its processes), `docker inspect $(docker ps -aq)` (the engine's
# pids) and `ip -all netns exec ip -j link` (the links of every mounted namespace), which still
# leaves the reconciliation to the responder. Goal: ir-hunt no slower than the manual pipeline.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/ci}
count=${2:-50}
source "$here/common.sh"
label="forensic.bench=hunt-$$"
network="bench-hunt-$$"
trap 'remove_fleet "$label" "$network"' EXIT

echo "creating $count containers..."
make_fleet "$label" "$count" "$network"
running=$(docker ps -q | wc -l)
procs=$(ls /proc | grep -c '^[0-9]')

ours=$(median_ms 5 "$build/tools/ir-hunt" --json)
manual=$(median_ms 5 sh -c 'lsns -J >/dev/null; docker inspect $(docker ps -aq) >/dev/null;
                            ip -all netns exec ip -j link >/dev/null')

printf '%-60s %8s ms\n' "ir-hunt --json ($running running, $procs processes)" "$ours"
printf '%-60s %8s ms\n' "lsns -J + docker inspect \$(docker ps -aq) + ip netns links" "$manual"
echo "ratio ir-hunt / manual: $(ratio "$ours" "$manual")x (goal <= 1.0x)"
