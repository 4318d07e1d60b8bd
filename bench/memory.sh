#!/usr/bin/env bash
# bench/memory.sh [BUILD_DIR] [RUNS]: times `ir-collect --artifacts memory --no-pause` on a
# container whose one large process holds 512 MiB of touched anonymous memory (random bytes, so
# no page is a hole), against the manual way: `dd` of the same readable mappings from
# /proc/<pid>/mem into one file per process (GNU dd, iflag=skip_bytes,count_bytes), and that
# followed by `sync` and `sha256sum` of each file (what ir-collect does besides: a durable,
# hashed file). Goal: ir-collect at most 1.2x the dd copy, peak RSS under 64 MiB.
# Times are wall clock, best and median of RUNS (default 5) after one warm-up of each.
# BENCH_DIR=/dev/shm writes to a tmpfs instead of the disk (fsync is then free).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/ci}
runs=${2:-5}
collect=$build/tools/ir-collect
name=irbench-memory-$$
label="forensic.bench=memory-$$"
work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/irbench-memory.XXXXXX")
cleanup() { docker rm -f "$name" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
[[ -x $collect ]] || { echo "no $collect (build the ir-collect target)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "reading /proc/<pid>/mem takes root" >&2; exit 2; }

echo "creating a container whose dd holds 512 MiB of random bytes in its buffer..."
# dd reads one full 512 MiB block into its (anonymous, malloc'ed) buffer, writes it, then waits
# for a second block that never comes.
docker run -d --name "$name" --label "$label" --network none irtest/busybox:latest \
  sh -c '(head -c 536870912 /dev/urandom; sleep 36000) |
         dd bs=536870912 count=2 iflag=fullblock of=/dev/null 2>/dev/null; sleep 36000' >/dev/null
# Ready once dd holds the whole block and head has exited.
until docker top "$name" -o pid,rss,comm 2>/dev/null | awk '$3 == "dd" && $2 > 520000 {d = 1}
      $3 == "head" {h = 1} END {exit !(d && !h)}'; do
  sleep 1
done
pids=$(docker top "$name" -o pid | tail -n +2 | tr '\n' ' ')

# The mappings ir-collect reads: readable, not [vvar]/[vvar_vclock]/[vsyscall], not a device.
manual_copy() {
  local pid out
  for pid in $pids; do
    [[ -r /proc/$pid/maps ]] || continue
    out="$work/manual.$pid"
    : >"$out"
    while read -r range perms _ _ _ path; do
      [[ $perms == r* ]] || continue
      case $path in "[vvar]" | "[vvar_vclock]" | "[vsyscall]") continue ;; esac
      if [[ $path == /dev/* && $path != /dev/shm/* && $path != /dev/zero* ]]; then continue; fi
      local start=$((16#${range%-*})) end=$((16#${range#*-}))
      dd if=/proc/$pid/mem of="$out" bs=1M iflag=skip_bytes,count_bytes oflag=append \
        conv=notrunc skip=$start count=$((end - start)) status=none 2>/dev/null || true
    done </proc/$pid/maps || true
  done
}
dd_copy() { manual_copy; rm -f "$work"/manual.*; }
dd_sync_hash() {
  manual_copy
  sync "$work"/manual.*
  sha256sum "$work"/manual.* >/dev/null
  rm -f "$work"/manual.*
}
tool() {
  /usr/bin/time -f '%M' -o "$work/rss" "$collect" "$name" --artifacts memory --no-pause \
    --out "$work" --case bench >/dev/null
  cat "$work/rss" >>"$work/rss.all"
  du -sb "$work"/bench-*/memory | awk '{print $1}' >"$work/cores.size"
  rm -rf "$work"/bench-*
}

# Wall time, and the CPU time (user + system) of the variant and its children: on a shared
# machine whose load is above its core count the wall time mostly measures the wait for a core.
timed() {
  sync -f "$work"
  local t0 t1 c0 c1
  cpu_ms
  c0=$(cat "$work/cpu")
  t0=$(date +%s%N)
  "$1"
  t1=$(date +%s%N)
  cpu_ms
  c1=$(cat "$work/cpu")
  echo "$(((t1 - t0) / 1000000))" >>"$work/t.$1"
  echo "$((c1 - c0))" >>"$work/c.$1"
}
# CPU time of this shell's finished children, ms (bash's `times`, second line: children). Not in
# a command substitution: a subshell has no children of ours.
cpu_ms() {
  times >"$work/times"
  tail -1 "$work/times" | awk '{
    split($1, u, "m"); split($2, s, "m");
    printf "%d\n", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * 1000 }' >"$work/cpu"
}

variants=(dd_copy dd_sync_hash tool)
for v in "${variants[@]}"; do "$v"; done  # warm-up
rm -f "$work/rss.all"
for ((i = 0; i < runs; i++)); do
  for ((k = 0; k < ${#variants[@]}; k++)); do timed "${variants[(i + k) % ${#variants[@]}]}"; done
done

best_median() {
  sort -n "$work/t.$1" | awk '{a[NR]=$1} END {printf "%.2f %.2f\n", a[1]/1000, a[int((NR+1)/2)]/1000}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
read -r dd_b dd_m < <(best_median dd_copy)
read -r dh_b dh_m < <(best_median dd_sync_hash)
read -r tool_b tool_m < <(best_median tool)
cpu_median() { sort -n "$work/c.$1" | awk '{a[NR]=$1} END {printf "%.2f\n", a[int((NR+1)/2)]/1000}'; }
dd_c=$(cpu_median dd_copy)
tool_c=$(cpu_median tool)
rss=$(sort -n "$work/rss.all" | tail -1)

printf 'memory of a container holding 512 MiB (pids %s) to %s (%s): best / median of %s runs (s)\n' \
  "$pids" "${BENCH_DIR:-/var/tmp}" "$(stat -f -c %T "$work")" "$runs"
printf '  %-52s %6s / %6s\n' "manual: dd of each mapping from /proc/<pid>/mem" "$dd_b" "$dd_m"
printf '  %-52s %6s / %6s\n' "manual, durable and hashed: dd, sync, sha256sum" "$dh_b" "$dh_m"
printf '  %-52s %6s / %6s   peak RSS %d KiB, cores %s bytes\n' \
  "ir-collect --artifacts memory --no-pause" "$tool_b" "$tool_m" "$rss" "$(cat "$work/cores.size")"
echo "ratio ir-collect / dd:                     $(ratio "$tool_b" "$dd_b")x best," \
  "$(ratio "$tool_m" "$dd_m")x median (goal <= 1.2x)"
echo "ratio ir-collect / dd + sync + sha256sum:  $(ratio "$tool_b" "$dh_b")x best," \
  "$(ratio "$tool_m" "$dh_m")x median"
echo "CPU time (user + system), median:  dd ${dd_c} s, ir-collect ${tool_c} s:" \
  "$(ratio "$tool_c" "$dd_c")x"
echo "load average while measured: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "peak RSS: $((rss / 1024)) MiB (goal < 64 MiB)"
