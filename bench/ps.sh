#!/usr/bin/env bash
# bench/ps.sh [BUILD_DIR] [COUNT]: ir-ps --json against one raw `curl --unix-socket
# /containers/json` and against the usual `docker inspect $(docker ps -aq)`, over COUNT
# (default 100) running containers. Goal: ir-ps at most 1.5x the raw list call.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/ci}
count=${2:-100}
source "$here/common.sh"
label="forensic.bench=ps-$$"
network="bench-ps-$$"
trap 'remove_fleet "$label" "$network"' EXIT

echo "creating $count containers..."
make_fleet "$label" "$count" "$network"
total=$(docker ps -q | wc -l)

raw=$(median_ms 15 curl -sf --unix-socket /var/run/docker.sock 'http://d/v1.41/containers/json?all=1')
ours=$(median_ms 15 "$build/tools/ir-ps" --json --all)
manual=$(median_ms 5 sh -c 'docker inspect $(docker ps -aq) >/dev/null')

printf '%-52s %8s ms\n' "raw curl /containers/json ($total running)" "$raw"
printf '%-52s %8s ms\n' "ir-ps --json --all (list + every inspect)" "$ours"
printf '%-52s %8s ms\n' "docker inspect \$(docker ps -aq)" "$manual"
echo "ratio ir-ps / raw list:       $(ratio "$ours" "$raw")x (goal <= 1.5x)"
echo "ratio docker inspect / ir-ps: $(ratio "$manual" "$ours")x faster than the usual pipeline"
