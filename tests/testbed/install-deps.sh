#!/usr/bin/env bash
# Installs, from Debian 12 packages, everything needed to build libforensic, run its tools and
# run its tests. Idempotent: packages already present are not fetched again.
set -euo pipefail
packages=(
  build-essential cmake pkg-config ccache git
  libboost-dev libboost-program-options-dev libboost-filesystem-dev
  libpcap-dev libarchive-dev libssl-dev nlohmann-json3-dev doctest-dev
  libmnl-dev libnetfilter-conntrack-dev libyara-dev yara
  docker.io iptables iproute2 conntrack busybox-static tcpdump tshark
  curl jq zstd ca-certificates openssl procps sleuthkit graphviz chromium
  binutils gdb time ansible openssh-server openssh-client python3 python3-scapy
  clang libclang-rt-14-dev clang-format
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 4
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
