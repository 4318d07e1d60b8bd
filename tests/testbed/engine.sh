#!/usr/bin/env bash
# engine.sh start|stop: makes sure a Docker engine answers on /var/run/docker.sock.
# `start` launches dockerd in the background only when none answers, and records its PID in
# $FORENSIC_STATE_DIR/dockerd.pid; `stop` stops only a dockerd that `start` launched.
set -euo pipefail
state_dir=${FORENSIC_STATE_DIR:-/run/forensic-testbed}
pid_file=$state_dir/dockerd.pid
mkdir -p "$state_dir"

answers() { curl -sf --max-time 3 --unix-socket /var/run/docker.sock http://d/_ping >/dev/null 2>&1; }

case ${1:-start} in
  start)
    if answers; then echo "engine: already running"; exit 0; fi
    command -v dockerd >/dev/null || { echo "engine: dockerd not installed" >&2; exit 3; }
    dockerd >"$state_dir/dockerd.log" 2>&1 &
    echo $! >"$pid_file"
    for _ in $(seq 1 60); do
      if answers; then echo "engine: started dockerd (pid $(cat "$pid_file"))"; exit 0; fi
      kill -0 "$(cat "$pid_file")" 2>/dev/null || break
      sleep 0.5
    done
    echo "engine: dockerd did not come up; log follows" >&2
    tail -n 20 "$state_dir/dockerd.log" >&2 || true
    exit 3
    ;;
  stop)
    [[ -f $pid_file ]] || exit 0
    pid=$(cat "$pid_file")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      echo "engine: stopped dockerd (pid $pid)"
    fi
    rm -f "$pid_file"
    ;;
  *) echo "usage: engine.sh start|stop" >&2; exit 2 ;;
esac
