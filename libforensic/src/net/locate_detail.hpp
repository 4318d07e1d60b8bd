#pragma once
// Matching pieces of locate(), separate so that unit tests can feed them fixtures.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "forensic/net/locate.hpp"

namespace forensic::net::detail {

struct namespace_info {
  std::vector<int> pids;     // every process in the namespace
  std::string container_id;  // of the first process in a container cgroup
};

// Where a socket counts when ADDR is the host's own.
struct socket_scope {
  std::uint64_t host_netns = 0;
  // ADDR is the host's own: sockets of the host's namespace with ADDR as their local address
  // count too, and so do its wildcard listeners held by a container's process (a host-network
  // container), or on `port` when one is given.
  bool host_address = false;
  bool loopback = false;  // ADDR is 127.0.0.0/8 or ::1: only the host namespace's own count
};

// Sockets whose remote end is `address` (and one of whose ports is `port`, when given), in
// every namespace, plus the host's own per `scope`, with the namespace inode each was found
// in; owners resolved for those only.
std::vector<std::pair<socket_entry, std::uint64_t>> matching_sockets(
    const std::map<std::uint64_t, namespace_info>& spaces, const io::ip_address& address,
    std::optional<std::uint16_t> port, const socket_scope& scope = {});

// True when the socket's remote end is `address` (and one of its ports is `port`, when given).
bool socket_matches(const socket_entry& s, const io::ip_address& address,
                    std::optional<std::uint16_t> port) noexcept;

struct flow_match {
  conntrack_flow flow;
  bool outbound = true;        // the inside end opened it (ADDR is the original destination)
  std::string inside_address;  // the host/container side, before NAT
  std::uint16_t inside_port = 0;
  // ADDR is not an end of the flow but the address the host masqueraded it to (outbound), or
  // the container address a published port forwarded it to (inbound).
  bool addr_is_nat = false;
};

// Flows with ADDR, undoing NAT both ways (see flow_match), narrowed by the service port
// (locate_options::port) and the port seen on the host's address (nat_port).
std::vector<flow_match> matching_flows(const std::vector<conntrack_flow>& flows,
                                       const io::ip_address& address,
                                       const locate_options& options);

// The live socket behind a flow, among already-matched sockets (same local and remote port).
std::optional<socket_entry> socket_for_flow(
    const std::vector<std::pair<socket_entry, std::uint64_t>>& sockets, const flow_match& f);

// "udp 172.18.0.3:40000 -> 198.51.100.21:53 UNREPLIED, seen outside as 192.0.2.10:40000"
std::string describe_flow(const flow_match& f);

}  // namespace forensic::net::detail
