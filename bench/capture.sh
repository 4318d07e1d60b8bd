#!/usr/bin/env bash
# bench/capture.sh [BUILD_DIR] [SECONDS] [SNAPLEN]: a saturating TCP stream between two
# containers on an --internal network (busybox nc fed from /dev/zero), captured on the
# client's host veth first by ir-capture, then by `tcpdump -i <veth> -w`, for SECONDS (default
# 8) each, with the same snaplen (default 128: headers, so the disk is not the bottleneck).
# Goal: ir-capture drops no more packets than tcpdump and uses no more CPU per packet.
# CPU is the on-CPU time of the capture process (all threads) over a window after start-up,
# divided by the packets the file holds from that window (ours2 = ir-capture --buffer-mb 2,
# the kernel buffer tcpdump uses by default). IR_CAPTURE=path overrides the ir-capture binary
# (to compare two builds). Runs one after the other see different traffic on a shared VM (the
# stream's rate moves by 20% from one to the next), so a last part runs both tools at once on
# the same veth, ROUNDS times (default 3): the same packets over the same window, each with
# its own kernel ring; that ratio is the one to read.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/ci}
seconds=${2:-8}
snaplen=${3:-128}
rounds=${ROUNDS:-3}
ir_capture=${IR_CAPTURE:-$build/tools/ir-capture}
[[ -x $ir_capture ]] || { echo "no $ir_capture (build the ir-capture target)" >&2; exit 2; }
source "$here/common.sh"
tag="ircapbench$$"
work=$(mktemp -d)
cleanup() {
  docker rm -f "$tag-srv" "$tag-cli" >/dev/null 2>&1 || true
  docker network rm "$tag" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

start_stream "$tag"
veth=$stream_veth
srv_ip=$stream_server
echo "stream $tag-cli -> $tag-srv:5001 ($srv_ip), capturing on $veth for ${seconds}s each"
sleep 2

# On-CPU time of every thread of the process, in seconds, from the scheduler's nanosecond
# counters (/proc/<pid>/stat counts 10 ms ticks: too coarse for a few seconds of capture).
cpu_seconds() { cat /proc/"$1"/task/*/schedstat | awk '{ns += $1} END {printf "%.6f\n", ns / 1e9}'; }

# run NAME CMD...: starts CMD, lets it settle for 2 s (start-up costs are not per packet), then
# samples its CPU time and the wall clock at the start and end of a SECONDS window; stops it
# with SIGINT and keeps its output. Packets in the window are counted from the file's own
# timestamps, so both tools are measured over the same kind of interval.
run() {
  local name=$1; shift
  "$@" >"$work/$name.out" 2>"$work/$name.err" &
  local p=$!
  sleep 2
  local c0 w0 c1 w1
  c0=$(cpu_seconds "$p"); w0=$(date +%s.%N)
  sleep "$seconds"
  c1=$(cpu_seconds "$p"); w1=$(date +%s.%N)
  kill -INT "$p"
  wait "$p" || true
  echo "$c0 $c1 $w0 $w1" >"$work/$name.window"
}

run ours "$ir_capture" --interface "$veth" --snaplen "$snaplen" \
  --write "$work/ours.pcapng" --json
run ours2 "$ir_capture" --interface "$veth" --snaplen "$snaplen" --buffer-mb 2 \
  --write "$work/ours2.pcapng" --json
# -Z root: Debian's tcpdump otherwise drops to user tcpdump, who cannot write into $work.
run tcpdump tcpdump -i "$veth" -s "$snaplen" -Z root -w "$work/tcpdump.pcap"

drops_of() {
  python3 -c "import json;d=json.load(open('$work/$1.out'));i=d['interfaces'][0];print(i['dropped_by_kernel']+i['dropped_by_interface'])"
}
td_drop=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$work/tcpdump.err")
td_ifdrop=$(sed -n 's/^\([0-9]*\) packets dropped by interface.*/\1/p' "$work/tcpdump.err")
td_drop=$((${td_drop:-0} + ${td_ifdrop:-0}))

report() {  # NAME FILE DROPPED: prints one line, and "dropped us_per_packet" to $work/NAME.fig
  local name=$1 file=$2 dropped=$3
  read -r c0 c1 w0 w1 <"$work/$name.window"
  tcpdump -tt -nn -r "$file" 2>/dev/null | awk '{print $1}' >"$work/$name.ts"
  python3 - "$name" "$work/$name.ts" "$dropped" "$c0" "$c1" "$w0" "$w1" "$work/$name.fig" <<'PY'
import sys
name, ts_file, dropped = sys.argv[1], sys.argv[2], int(sys.argv[3])
c0, c1, w0, w1 = map(float, sys.argv[4:8])
ts = [float(l) for l in open(ts_file) if l.strip()]
window = sum(1 for t in ts if w0 <= t < w1)
cpu = c1 - c0
per = cpu / window * 1e6 if window else float('nan')
print(f"{name:<8} {len(ts):>9} packets in file, {dropped:>7} dropped; "
      f"window {w1 - w0:4.1f} s: {window:>9} packets ({window / (w1 - w0):7.0f}/s), "
      f"cpu {cpu:5.2f} s = {per:6.3f} us/packet")
open(sys.argv[8], "w").write(f"{dropped} {per}\n")
PY
}
report ours "$work/ours.pcapng" "$(drops_of ours)"
report ours2 "$work/ours2.pcapng" "$(drops_of ours2)"
report tcpdump "$work/tcpdump.pcap" "$td_drop"

# Side by side: both capture the same veth during the same window.
together() {
  rm -f "$work"/together.*
  "$ir_capture" --interface "$veth" --snaplen "$snaplen" --write "$work/together.pcapng" \
    --json >"$work/together.out" 2>/dev/null &
  local a=$!
  tcpdump -i "$veth" -s "$snaplen" -Z root -w "$work/together.pcap" 2>"$work/together.err" &
  local b=$!
  sleep 2
  local a0 b0 w0 a1 b1 w1
  a0=$(cpu_seconds "$a"); b0=$(cpu_seconds "$b"); w0=$(date +%s.%N)
  sleep "$seconds"
  a1=$(cpu_seconds "$a"); b1=$(cpu_seconds "$b"); w1=$(date +%s.%N)
  kill -INT "$a" "$b"
  wait "$a" "$b" || true
  in_window() { tcpdump -tt -nn -r "$1" 2>/dev/null | awk -v x="$w0" -v y="$w1" '$1 >= x && $1 < y' | wc -l; }
  local na nb
  na=$(in_window "$work/together.pcapng"); nb=$(in_window "$work/together.pcap")
  python3 -c "
a = ($a1 - $a0) / $na * 1e6; b = ($b1 - $b0) / $nb * 1e6
print(f'together: ir-capture {$na:>8} packets {a:6.3f} us/packet, tcpdump {$nb:>8} packets {b:6.3f} us/packet: {a / b:.2f}x')
open('$work/together.ratios', 'a').write(f'{a / b}\\n')"
}
for ((r = 0; r < rounds; r++)); do together; done
side_by_side=$(sort -n "$work/together.ratios" | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]}')

read -r d_ours p_ours <"$work/ours.fig"
read -r d_ours2 p_ours2 <"$work/ours2.fig"
read -r d_td p_td <"$work/tcpdump.fig"
verdict() { [[ $1 == 1 ]] && echo met || echo MISSED; }
echo "cpu per packet ir-capture / tcpdump:       $(ratio "$p_ours" "$p_td")x (32 MiB buffer)," \
  "$(ratio "$p_ours2" "$p_td")x (2 MiB buffer, as tcpdump); goal <= 1"
echo "cpu per packet side by side (same packets, median of $rounds): ${side_by_side}x; goal <= 1"
echo "drops ir-capture $d_ours (2 MiB buffer: $d_ours2), tcpdump $d_td; goal: no more than tcpdump"
cpu_ok=$(awk -v r="$side_by_side" 'BEGIN { print (r <= 1) }')
drop_ok=$((d_ours <= d_td))
echo "goal (default settings): cpu $(verdict "$cpu_ok"), drops $(verdict "$drop_ok")"
