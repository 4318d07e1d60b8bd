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

// Sockets whose remote end is `address` (and `port`, when given), in every namespace, with
// the namespace inode each was found in; owners resolved for those only.
std::vector<std::pair<socket_entry, std::uint64_t>> matching_sockets(
    const std::map<std::uint64_t, namespace_info>& spaces, const io::ip_address& address,
    std::optional<std::uint16_t> port);

// True when the socket's remote end is `address` (and `port`, when given).
bool socket_matches(const socket_entry& s, const io::ip_address& address,
                    std::optional<std::uint16_t> port) noexcept;

struct flow_match {
  conntrack_flow flow;
  bool outbound = true;        // the inside end opened it (ADDR is the original destination)
  std::string inside_address;  // the host/container side, before NAT
  std::uint16_t inside_port = 0;
};

// Flows between ADDR and anything, narrowed by the remote port and the NAT'd source port.
std::vector<flow_match> matching_flows(const std::vector<conntrack_flow>& flows,
                                       const io::ip_address& address,
                                       const locate_options& options);

// The live socket behind a flow, among already-matched sockets (same local and remote port).
std::optional<socket_entry> socket_for_flow(
    const std::vector<std::pair<socket_entry, std::uint64_t>>& sockets, const flow_match& f);

// "udp 172.18.0.3:40000 -> 198.51.100.21:53 UNREPLIED, seen outside as 192.0.2.10:40000"
std::string describe_flow(const flow_match& f);

}  // namespace forensic::net::detail
