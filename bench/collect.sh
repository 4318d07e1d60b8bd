#!/usr/bin/env bash
# bench/collect.sh [BUILD_DIR] [RUNS]: times `ir-collect --artifacts export --no-pause` for a
# container holding 512 MiB of random data, against the raw engine export written to a file by
# `curl --unix-socket`, and against the manual `docker export > f && sha256sum f`.
# Goal: ir-collect at most 1.2x the raw export, with peak memory (max RSS) under 64 MiB.
# Also timed: the whole default collection (every artifact but the capture, paused as it would
# be), goal at most 2.5x the raw export with peak RSS under 64 MiB; the bundle's size is printed
# against the container's.
#
# ir-collect makes its files durable (fsync before the bundle is renamed complete); curl and
# `docker export` leave theirs in the page cache. So the raw export is also timed followed by
# `sync FILE` (an fsync): on a slow disk that, not the transfer, is the floor for a tool that
# writes evidence durably. BENCH_DIR=/dev/shm runs everything on a tmpfs instead (fsync is
# free there), which isolates the transfer and hashing pipeline from the disk. Times are wall
# clock, best and median of RUNS (default 5), after one warm-up of each (the engine reads the
# container's layer from the page cache afterwards).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/ci}
runs=${2:-5}
collect=$build/tools/ir-collect
sock=/var/run/docker.sock
name=irbench-collect-$$
label="forensic.bench=collect-$$"
# By default on the disk the engine's own data is on, as evidence would be in practice.
work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/irbench-collect.XXXXXX")
cleanup() { docker rm -f "$name" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
[[ -x $collect ]] || { echo "no $collect (build the ir-collect target)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

echo "creating a container with 512 MiB of random data..."
docker run -d --name "$name" --label "$label" --network none irtest/busybox:latest \
  sh -c 'head -c 536870912 /dev/urandom > /data.bin && touch /ready && exec sleep 36000' >/dev/null
until docker diff "$name" 2>/dev/null | grep -qx 'A /ready'; do sleep 0.5; done
api=$(curl -sf --unix-socket $sock http://d/version | sed -n 's/.*"ApiVersion":"\([0-9.]*\)".*/\1/p')
url="http://d/v$api/containers/$name/export"

# Each variant removes what it wrote, so dirty pages of one run do not load the next one.
raw() { curl -sf --unix-socket $sock -o "$work/raw.tar" "$url"; rm -f "$work/raw.tar"; }
raw_sync() {
  curl -sf --unix-socket $sock -o "$work/raw.tar" "$url" && sync "$work/raw.tar"
  rm -f "$work/raw.tar"
}
manual() {
  docker export "$name" >"$work/manual.tar" && sha256sum "$work/manual.tar" >/dev/null
  rm -f "$work/manual.tar"
}
tool() {
  /usr/bin/time -f '%M' -o "$work/rss" "$collect" "$name" --artifacts export --no-pause \
    --out "$work" --case bench >/dev/null
  cat "$work/rss" >>"$work/rss.all"
  rm -rf "$work"/bench-*
}

full() {
  /usr/bin/time -f '%M' -o "$work/rss.full" "$collect" "$name" --out "$work" --case bench \
    >/dev/null || true  # a step that could not be taken is exit 1: timed all the same
  cat "$work/rss.full" >>"$work/rss.full.all"
  du -sb "$work"/bench-* | awk '{print $1}' | tail -1 >"$work/bundle.size"
  rm -rf "$work"/bench-*
}

# timed NAME: runs variant NAME once, appends its wall time (s) to $work/t.NAME.
timed() {
  sync -f "$work"  # start from a clean disk queue (writeback of earlier runs done)
  local t0 t1
  t0=$(date +%s%N)
  "$1"
  t1=$(date +%s%N)
  echo "$(((t1 - t0) / 1000000))" >>"$work/t.$1"
}

variants=(raw raw_sync manual tool full)
for v in "${variants[@]}"; do "$v"; done  # warm-up
rm -f "$work/rss.all" "$work/rss.full.all"
# The order turns every round, so each variant follows each other one: what a run leaves behind
# (blocks freed by the previous rm, writeback still queued) does not always fall on the same one.
for ((i = 0; i < runs; i++)); do
  for ((k = 0; k < ${#variants[@]}; k++)); do timed "${variants[(i + k) % ${#variants[@]}]}"; done
done

best_median() {  # best and median of $work/t.NAME, in seconds
  sort -n "$work/t.$1" | awk '{a[NR]=$1} END {printf "%.2f %.2f\n", a[1]/1000, a[int((NR+1)/2)]/1000}'
}
read -r raw_b raw_m < <(best_median raw)
read -r sync_b sync_m < <(best_median raw_sync)
read -r man_b man_m < <(best_median manual)
read -r tool_b tool_m < <(best_median tool)
read -r full_b full_m < <(best_median full)
all_runs() { sort -n "$work/t.$1" | awk '{printf("%s%.2f", (NR > 1 ? " " : ""), $1 / 1000)}'; }
rss=$(sort -n "$work/rss.all" | tail -1)
rss_full=$(sort -n "$work/rss.full.all" | tail -1)
container_bytes=$(docker inspect -s -f '{{.SizeRootFs}}' "$name")
bundle_bytes=$(cat "$work/bundle.size")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

printf 'export of a container with 512 MiB of data to %s (%s): best / median of %s runs (s)\n' \
  "${BENCH_DIR:-/var/tmp}" "$(stat -f -c %T "$work")" "$runs"
printf '  %-46s %6s / %6s\n' "raw export: curl --unix-socket -o f" "$raw_b" "$raw_m"
printf '  %-46s %6s / %6s\n' "raw export made durable: curl -o f && sync f" "$sync_b" "$sync_m"
printf '  %-46s %6s / %6s\n' "manual: docker export > f && sha256sum f" "$man_b" "$man_m"
printf '  %-46s %6s / %6s   peak RSS %d KiB\n' "ir-collect --artifacts export --no-pause" \
  "$tool_b" "$tool_m" "$rss"
# Both ratios: on a shared VM one lucky raw run can set the best, so the medians say more.
echo "ratio ir-collect / raw export:          $(ratio "$tool_b" "$raw_b")x best," \
  "$(ratio "$tool_m" "$raw_m")x median (goal <= 1.2x)"
echo "ratio ir-collect / durable raw export:  $(ratio "$tool_b" "$sync_b")x best," \
  "$(ratio "$tool_m" "$sync_m")x median"
echo "ratio manual / ir-collect:              $(ratio "$man_b" "$tool_b")x best," \
  "$(ratio "$man_m" "$tool_m")x median"
echo "peak RSS: $((rss / 1024)) MiB (goal < 64 MiB)"
printf '  %-46s %6s / %6s   peak RSS %d KiB\n' "ir-collect (default artifacts, no capture)" \
  "$full_b" "$full_m" "$rss_full"
echo "ratio default collection / raw export:  $(ratio "$full_b" "$raw_b")x best," \
  "$(ratio "$full_m" "$raw_m")x median (goal <= 2.5x, peak RSS $((rss_full / 1024)) MiB," \
  "goal < 64 MiB)"
echo "bundle size / container size:           $(ratio "$bundle_bytes" "$container_bytes")x" \
  "($bundle_bytes / $container_bytes bytes)"
# Every run, sorted: on a shared VM the spread says how far to trust one ratio.
for v in "${variants[@]}"; do printf '  runs %-9s %s\n' "$v" "$(all_runs "$v")"; done
