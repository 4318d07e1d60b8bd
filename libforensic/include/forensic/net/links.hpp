#pragma once
// Which interface belongs to which container, from netlink (libmnl): one dump of the host's
// links plus one small query per container network namespace; no process spawned, no `ip`
// parsing, no docker exec.
//
// The kernel facts this relies on: a host-side veth's IFLA_LINK is its peer's ifindex inside
// the namespace named by IFLA_LINK_NETNSID; IFLA_MASTER names the bridge it is enslaved to;
// /proc/<pid>/ns/net identifies a container's namespace (two containers sharing one, as with
// --network container:X, have the same inode). A namespace that cannot be read is a warning in
// the result, not an error; the lookups of one container or network throw forensic::error
// (errc::not_found when there is nothing to find, the engine's errors when it was asked).
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forensic::engine {
class client;
struct container;
}  // namespace forensic::engine

namespace forensic::net {

struct interface_address {
  std::string address;  // "172.18.0.2", "fd00::2"
  int prefix = 0;
  int family = 0;  // AF_INET or AF_INET6
};

struct interface_info {
  int ifindex = 0;
  std::string name;
  std::string mac;
  std::string kind;  // rtnetlink IFLA_INFO_KIND: "veth", "bridge", "" for physical
  bool up = false;
  int mtu = 0;
  std::vector<interface_address> addresses;
  int peer_ifindex = 0;    // IFLA_LINK (veth peer), 0 when none
  int link_netnsid = -1;   // IFLA_LINK_NETNSID, -1 when the peer is in the same namespace
  int master_ifindex = 0;  // IFLA_MASTER (the bridge), 0 when none
};

// One interface inside a container, joined to its host side.
struct container_interface {
  interface_info inside;                    // e.g. eth0 in the container's namespace
  std::optional<interface_info> host_veth;  // the peer on the host, when a veth
  std::string bridge;          // host bridge the veth is enslaved to ("br-1a2b3c4d5e6f")
  std::string docker_network;  // engine network name ("irnet1"), empty if unknown
  std::string docker_network_id;
};

struct container_links {
  std::string container_id;    // empty when the engine does not know the process
  std::string container_name;  // empty when unknown (engine down, or no record)
  int pid = 0;
  std::uint64_t netns_inode = 0;  // from /proc/<pid>/ns/net
  // "private", "host" (shares the host's namespace: no veth), "container:<id>" (shares another
  // container's), "none", or "stopped" (no process: nothing to map).
  std::string network_mode;
  std::string shares_namespace_with;  // container id, for container:<id>
  std::vector<container_interface> interfaces;
};

struct bridge_info {
  int ifindex = 0;
  std::string name;
  std::string docker_network;  // engine network name
  std::string docker_network_id;
  std::vector<std::string> engine_subnets;  // from the engine's network IPAM config
  std::vector<interface_address> addresses;
  std::vector<std::string> ports;  // names of enslaved host veths
};

struct link_map {
  std::vector<container_links> containers;
  std::vector<bridge_info> bridges;
  bool engine_available = true;  // false: names and networks are unknown
  std::vector<std::string> warnings;
};

// Builds the map. `engine` may be null (or unreachable): then containers are found from
// their namespaces alone and their names are left empty, with a warning saying so.
link_map map_links(engine::client* engine);

// The host interfaces through which a container's traffic passes (its host veths), resolving
// `reference` as the docker CLI does. Throws errc::not_found when the container has none
// (not running, or --network host: the message says which).
std::vector<std::string> host_interfaces_of(engine::client& engine, std::string_view reference);

// The host bridge of an engine network, by name or id ("docker0", "br-<id12>", or the
// com.docker.network.bridge.name option). Throws errc::not_found.
std::string bridge_of_network(engine::client& engine, std::string_view network);

// Every Docker bridge on the host (docker0 and br-*), for capturing everywhere at once.
std::vector<std::string> docker_bridges(engine::client* engine);

// JSON forms (docs/json-net.md): the `interfaces` of network/network.json in a bundle, and
// the containers/bridges of `ir-netmap --json`.
nlohmann::json to_json(const interface_address& a);
nlohmann::json to_json(const interface_info& i);
nlohmann::json to_json(const container_interface& i);
nlohmann::json to_json(const container_links& c);
nlohmann::json to_json(const bridge_info& b);

}  // namespace forensic::net
