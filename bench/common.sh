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
