#pragma once
// docker-proxy: the userland process dockerd starts for each published port (unless the daemon
// runs with --userland-proxy=false). It listens on the host port and connects to the container,
// so connections through it reach the container from the host's own address, not through NAT:
// conntrack shows the proxy's connection, and the proxy's pid is what a host-side socket
// listing names for the published port.
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "forensic/net/sockets.hpp"

namespace forensic::net {

struct docker_proxy {
  process_ref process;   // pid, comm, cmdline, exe of the proxy on this host
  std::string protocol;  // "tcp", "udp", "sctp"
  std::string host_ip;   // -host-ip
  std::uint16_t host_port = 0;
  std::string container_ip;  // -container-ip
  std::uint16_t container_port = 0;
};

// Reads the forwarding from a docker-proxy argv (-proto tcp -host-ip 0.0.0.0 -host-port 8080
// -container-ip 172.17.0.2 -container-port 80; one or two dashes, "-flag=value" too). nullopt
// when argv[0] is not docker-proxy or the ports are missing. Never throws.
std::optional<docker_proxy> parse_docker_proxy(const std::vector<std::string>& argv) noexcept;

// Every docker-proxy process on this host (found by its comm in /proc), sorted by pid.
std::vector<docker_proxy> docker_proxies();

// {"pid", "ns_pid", "comm", "cmdline" (array), "exe", "protocol", "host_ip", "host_port",
// "container_ip", "container_port"}.
nlohmann::json to_json(const docker_proxy& p);

}  // namespace forensic::net
