# Shared by the bench scripts: timing helpers and a labelled fleet of test containers.
# Source it; it defines median_ms, make_fleet and remove_fleet.

# median_ms N CMD...: runs CMD N times (after one warm-up), prints the median wall time in ms.
median_ms() {
  local runs=$1; shift
  "$@" >/dev/null 2>&1 || true
  local times=()
  for ((i = 0; i < runs; i++)); do
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f\n", a[int((NR+1)/2)]/1000}'
}

# make_fleet LABEL COUNT NETWORK: COUNT sleeping containers on an --internal network.
make_fleet() {
  local label=$1 count=$2 network=$3
  docker network create --internal --label "$label" "$network" >/dev/null
  for ((i = 0; i < count; i++)); do
    docker run -d --label "$label" --network "$network" --name "${network}-$i" \
      irtest/busybox:latest sleep 36000 >/dev/null
  done
}

remove_fleet() {
  local label=$1 network=$2
  local ids
  ids=$(docker ps -aq --filter "label=$label")
  [[ -z $ids ]] || docker rm -f $ids >/dev/null
  docker network rm "$network" >/dev/null 2>&1 || true
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# A fleet grown in steps, so that one set of containers is measured at 100 and again at 300:
# fleet_networks LABEL PREFIX N creates N --internal networks PREFIX-n0..; grow_fleet LABEL
# PREFIX N TOTAL starts busybox sleepers PREFIX-c<i>, spread round-robin over those networks,
# until TOTAL of them exist (four `docker run` at a time: the engine serialises most of it).
fleet_networks() {
  local label=$1 prefix=$2 n=$3
  for ((k = 0; k < n; k++)); do
    docker network create --internal --label "$label" "$prefix-n$k" >/dev/null
  done
}

grow_fleet() {
  local label=$1 prefix=$2 n=$3 total=$4 have
  have=$(docker ps -aq --filter "label=$label" | wc -l)
  for ((i = have; i < total; i++)); do
    printf '%s %s\n' "$prefix-c$i" "$prefix-n$((i % n))"
  done | xargs -r -P 4 -n 2 sh -c \
    'docker run -d --label "$0" --network "$2" --name "$1" irtest/busybox:latest sleep 36000 >/dev/null' \
    "$label"
  have=$(docker ps -q --filter "label=$label" | wc -l)
  [[ $have -ge $total ]] || { echo "grow_fleet: only $have of $total running" >&2; return 1; }
}

# remove_grown_fleet LABEL PREFIX N: the containers of LABEL and the networks PREFIX-n0..n-1.
remove_grown_fleet() {
  local label=$1 prefix=$2 n=$3 ids
  ids=$(docker ps -aq --filter "label=$label")
  [[ -z $ids ]] || docker rm -f $ids >/dev/null
  # The engine releases endpoints shortly after the containers are gone: a few tries, and a
  # network it still refuses is named (a loaded dockerd 20.10 was seen keeping a stale endpoint
  # count that only a restart clears).
  local tries
  for ((k = 0; k < n; k++)); do
    for ((tries = 0; tries < 5; tries++)); do
      docker network rm "$prefix-n$k" >/dev/null 2>&1 && break
      sleep 1
    done
    ((tries < 5)) || echo "remove_grown_fleet: the engine keeps network $prefix-n$k" >&2
  done
}

# per_container_us MS COUNT: microseconds per container.
per_container_us() { awk -v t="$1" -v n="$2" 'BEGIN { printf "%.0f", t * 1000 / n }'; }

# Interleaved timing, for a shared host whose load moves from one second to the next: each
# round runs every command once, so that the commands compared see the same load.
#   round LABEL CMD...  appends one run's wall time (us) to times[LABEL] and its CPU time
#                       (user+sys of the processes it ran, all threads) to cpu[LABEL].
#   median_of LABEL     prints the median wall time in ms; median_cpu_of LABEL the CPU one.
declare -gA times cpu
round() {
  local label=$1; shift
  local TIMEFORMAT='%3R %3U %3S' r u s
  # bash's own `time`: wall and the children's user+sys (getrusage), in ms, without a wrapper
  # process (perf stat adds 100 ms of start-up to every run on a loaded host).
  read -r r u s < <({ time "$@" >/dev/null 2>&1; } 2>&1)
  times[$label]+=" $(awk -v r="$r" 'BEGIN { printf "%d", r * 1000000 }')"
  cpu[$label]+=" $(awk -v u="$u" -v s="$s" 'BEGIN { printf "%d", (u + s) * 1000000 }')"
}
median_list() { printf '%s\n' $1 | sort -n | awk '{a[NR]=$1} END {printf "%.1f\n", a[int((NR+1)/2)]/1000}'; }
median_of() { median_list "${times[$1]}"; }
median_cpu_of() { [[ -n ${cpu[$1]:-} ]] && median_list "${cpu[$1]}" || echo "-"; }
reset_rounds() { times=(); cpu=(); }

# A saturating TCP stream between two busybox containers "$1-srv" and "$1-cli" on their own
# --internal network "$1" (one MSS per packet: many more packets per second, which is what
# stresses a capture). Sets stream_server (the server's address) and stream_veth (the client's
# host veth, found from the host through its eth0's peer ifindex). The caller removes the
# containers and the network.
start_stream() {
  local tag=$1 pid peer c
  docker network create --internal "$tag" >/dev/null
  # (the server's stdin stays open: busybox nc ends the connection when its stdin hits EOF)
  docker run -d --name "$tag-srv" --network "$tag" irtest/busybox:latest \
    sh -c 'while true; do sleep 100000 | nc -l -p 5001 >/dev/null; done' >/dev/null
  stream_server=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$tag\").IPAddress}}" "$tag-srv")
  docker run -d --name "$tag-cli" --network "$tag" irtest/busybox:latest \
    sh -c "sleep 1; while true; do nc $stream_server 5001 </dev/zero; sleep 0.2; done" >/dev/null
  pid=$(docker inspect -f '{{.State.Pid}}' "$tag-cli")
  peer=$(nsenter -t "$pid" -n ip -o link show eth0 | sed -n 's/^[0-9]*: eth0@if\([0-9]*\).*/\1/p')
  stream_veth=$(grep -lx "$peer" /sys/class/net/*/ifindex | head -1 | xargs dirname | xargs basename)
  for c in "$tag-cli" "$tag-srv"; do
    nsenter -t "$(docker inspect -f '{{.State.Pid}}' "$c")" -n ip link set dev eth0 gso_max_segs 1
  done
}
