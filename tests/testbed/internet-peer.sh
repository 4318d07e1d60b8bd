#!/usr/bin/env bash
# internet-peer.sh up NAME ADDR | down NAME
#
# Stands in for an "internet" host without touching any real network: a network namespace NAME
# holding ADDR (which must be in a documentation range, 198.51.100.0/24 or 203.0.113.0/24),
# joined to the host by a veth whose host side takes the range's .1 address. Before returning it
# checks that `ip route get ADDR` leaves through that veth, and it adds iptables DROP rules for
# the range on every other interface, so a mistake cannot send test traffic anywhere else.
# Containers on a non-internal Docker network then reach ADDR through the host (masqueraded,
# as in a real incident). `down` removes the namespace, the veth and the rules.
set -euo pipefail

usage() { echo "usage: internet-peer.sh up NAME ADDR | down NAME" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
action=$1 name=$2
host_if="ip-${name:0:12}"   # interface names are at most 15 bytes
tag="forensic-peer-$name"

range_of() {
  case $1 in
    198.51.100.*) echo 198.51.100 ;;
    203.0.113.*) echo 203.0.113 ;;
    *) echo "internet-peer: $1 is not a documentation address (198.51.100.0/24, 203.0.113.0/24)" >&2
       exit 2 ;;
  esac
}

drop_rules() {  # $1 = -I or -D
  local op=$1 net=$2
  iptables -w "$op" FORWARD -d "$net.0/24" ! -o "$host_if" -m comment --comment "$tag" -j DROP
  iptables -w "$op" OUTPUT -d "$net.0/24" ! -o "$host_if" -m comment --comment "$tag" -j DROP
}

case $action in
  up)
    [[ $# -eq 3 ]] || usage
    addr=$3
    net=$(range_of "$addr")
    [[ $addr != "$net.1" ]] || { echo "internet-peer: $net.1 is the host side; pick another" >&2; exit 2; }
    ip netns add "$name"
    ip link add "$host_if" type veth peer name eth0 netns "$name"
    ip addr add "$net.1/24" dev "$host_if"
    ip link set "$host_if" up
    ip -n "$name" addr add "$addr/24" dev eth0
    ip -n "$name" link set lo up
    ip -n "$name" link set eth0 up
    ip -n "$name" route add default via "$net.1"
    drop_rules -I "$net"
    echo "$net" >"/run/forensic-peer-$name.range"
    sysctl -qw net.ipv4.ip_forward=1
    route=$(ip route get "$addr")
    if [[ $route != *" dev $host_if "* ]]; then
      echo "internet-peer: route to $addr does not leave by $host_if ($route); tearing down" >&2
      "$0" down "$name"
      exit 3
    fi
    echo "internet-peer: $name holds $addr behind $host_if"
    ;;
  down)
    if [[ -f /run/forensic-peer-$name.range ]]; then
      net=$(cat "/run/forensic-peer-$name.range")
      while drop_rules -D "$net" 2>/dev/null; do :; done
      rm -f "/run/forensic-peer-$name.range"
    fi
    ip link del "$host_if" 2>/dev/null || true
    ip netns del "$name" 2>/dev/null || true
    ;;
  *) usage ;;
esac
