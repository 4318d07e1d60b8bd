#!/usr/bin/env bash
# bench/capture_scale.sh [BUILD_DIR] [COUNTS] [SECONDS]: the cost of capturing on many interfaces
# at once, against their number. For each COUNT (default "100 300"):
#   1. ir-capture on COUNT veths (host ends of veth pairs the script creates, their peers in a
#      netns of its own: no traffic) plus the client veth of a saturating TCP stream between two
#      containers on an --internal network (bench/capture.sh's stream, headers only), for
#      SECONDS (default 3): wall time, peak RSS, kernel drops; against `tcpdump -i any` (the
#      manual way to watch every interface with one process) over the same time.
#   2. `ir-locate --ip 203.0.113.9 --capture 3` (an address no container has: the capture runs
#      on every bridge and container veth) with COUNT running containers: wall and peak RSS;
#      against `tcpdump -i any host 203.0.113.9` for 3 s. Goal at 300: under 4 s, under 128 MiB.
# LOCATE=0 skips part 2 (no containers created).
# With BEFORE=<build dir> the same runs of that
# build's tools are printed beside, to compare with one libpcap handle per interface.
# Nothing is sent to 203.0.113.9: it is only a filter.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/ci}
counts=${2:-100 300}
seconds=${3:-3}
before=${BEFORE:-}
source "$here/common.sh"
for t in ir-capture ir-locate; do
  [[ -x $build/tools/$t ]] || { echo "bench/capture_scale.sh: $build/tools/$t not built" >&2; exit 2; }
done
[[ -n $before && -x $before/tools/ir-capture ]] || before=""
tag="ics$$"
label="forensic.bench=capscale-$$"
network="bench-capscale-$$"
work=$(mktemp -d)
pairs=0
cleanup() {
  docker rm -f "$tag-srv" "$tag-cli" >/dev/null 2>&1 || true
  docker network rm "$tag" >/dev/null 2>&1 || true
  remove_fleet "$label" "$network"
  for ((i = 0; i < pairs; i++)); do echo "link del $tag$i"; done | ip -force -batch - 2>/dev/null || true
  ip netns del "$tag" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The stream (as bench/capture.sh), on its own --internal network.
start_stream "$tag"
ip netns add "$tag"

# add_pairs N: host veths $tag0..$tag(N-1), peers in the netns, no addresses (no traffic).
add_pairs() {
  local n=$1
  for ((i = pairs; i < n; i++)); do
    echo "link add $tag$i type veth peer name p$i netns $tag"
    echo "link set $tag$i addrgenmode none"
    echo "link set $tag$i up"
  done | ip -batch -
  pairs=$n
}

# measure NAME CMD...: wall seconds and peak RSS (MiB) of CMD, into $work/NAME.time.
measure() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" || true
  # (the last line: a non-zero exit, as timeout's 124, adds a line before it)
  read -r wall kib < <(tail -1 "$work/$name.time")
  echo "$wall $(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')"
}

capture_args() {
  local args=(--interface "$stream_veth")
  for ((i = 0; i < $1; i++)); do args+=(--interface "$tag$i"); done
  echo "${args[@]}"
}

ir_drops() {  # drops in an ir-capture --json document (shared socket, or every handle)
  python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
s = d.get('shared_socket')
own = sum((i['dropped_by_kernel'] or 0) for i in d['interfaces'] if i.get('socket') != 'shared')
print((s['dropped_by_kernel'] if s else 0) + own, d['packets'])" "$1"
}

fleet=0
docker network create --internal --label "$label" "$network" >/dev/null
for count in $counts; do
  echo "== $count interfaces =="
  add_pairs "$count"
  # shellcheck disable=SC2207
  args=($(capture_args "$count"))
  read -r w m < <(measure ours "$build/tools/ir-capture" "${args[@]}" --snaplen 128 \
    --duration "$seconds" --json --write "$work/ours-$count.pcapng")
  read -r d p < <(ir_drops "$work/ours.out")
  echo "ir-capture ($((count + 1)) interfaces, ${seconds}s): wall ${w}s, peak RSS ${m} MiB," \
    "$p packets, $d dropped"
  read -r w2 m2 < <(measure ours2 "$build/tools/ir-capture" "${args[@]}" --snaplen 128 \
    --buffer-mb 2 --duration "$seconds" --json --write "$work/ours2-$count.pcapng")
  read -r d2 p2 < <(ir_drops "$work/ours2.out")
  echo "  --buffer-mb 2 (tcpdump's buffer): wall ${w2}s, peak RSS ${m2} MiB, $p2 packets, $d2 dropped"
  if [[ -n $before ]]; then
    read -r bw bm < <(measure before "$before/tools/ir-capture" "${args[@]}" --snaplen 128 \
      --duration "$seconds" --json --write "$work/before-$count.pcapng")
    read -r bd bp < <(ir_drops "$work/before.out" 2>/dev/null || echo "? ?")
    echo "  before (one libpcap handle each): wall ${bw}s, peak RSS ${bm} MiB, $bp packets, $bd dropped"
  fi
  read -r tw tm < <(measure tcpdump timeout -s INT "$seconds" tcpdump -i any -s 128 -Z root \
    -w "$work/any-$count.pcap")
  td=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$work/tcpdump.err")
  echo "tcpdump -i any (${seconds}s): wall ${tw}s, peak RSS ${tm} MiB, ${td:-?} dropped"
  echo "ratio ir-capture / tcpdump -i any: wall $(ratio "$w" "$tw")x, RSS $(ratio "$m" "$tm")x" \
    "(--buffer-mb 2: $(ratio "$m2" "$tm")x);" \
    "per interface $(awk -v m="$m" -v n="$((count + 1))" 'BEGIN { printf "%.3f", m / n }') MiB"
  rm -f "$work"/*.pcap*

  [[ ${LOCATE:-1} == 1 ]] || continue
  echo "creating containers up to $count..."
  # Eight at a time: the engine serialises much of it, but not all.
  seq "$fleet" "$((count - 1))" | xargs -P 8 -I{} docker run -d --label "$label" \
    --network "$network" --name "${network}-{}" irtest/busybox:latest sleep 36000 >/dev/null
  fleet=$count
  echo "running containers on the host: $(docker ps -q | wc -l)"
  read -r lw lm < <(measure locate "$build/tools/ir-locate" --ip 203.0.113.9 --capture 3)
  echo "ir-locate --ip 203.0.113.9 --capture 3 ($count containers): wall ${lw}s, peak RSS ${lm} MiB" \
    "(goal at 300: < 4 s, < 128 MiB)"
  if [[ -n $before ]]; then
    read -r blw blm < <(measure locate-before "$before/tools/ir-locate" --ip 203.0.113.9 --capture 3)
    echo "  before: wall ${blw}s, peak RSS ${blm} MiB"
  fi
  read -r tlw tlm < <(measure tcpdump-locate timeout -s INT 3 tcpdump -i any -Z root \
    -w /dev/null host 203.0.113.9)
  echo "tcpdump -i any host 203.0.113.9 (3 s): wall ${tlw}s, peak RSS ${tlm} MiB;" \
    "ratio wall $(ratio "$lw" "$tlw")x, RSS $(ratio "$lm" "$tlm")x"
done
