#pragma once
// The whole network picture of a container host, as `ir-netmap` prints it: every container's
// namespace, interfaces, host veth, bridge and network (links.hpp), every Docker bridge with
// its subnets as the engine sees them and as the iptables rules see them, its published
// ports, and the places where the engine's view and the rules disagree.
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "forensic/net/iptables.hpp"
#include "forensic/net/links.hpp"

namespace forensic::net {

struct bridge_view {
  bridge_info bridge;
  bool internal = false;                       // engine says --internal
  std::vector<std::string> iptables_subnets;   // from MASQUERADE and isolation rules naming it
  std::vector<port_publication> publications;  // DNATs that enter by this bridge's network
};

struct network_map {
  link_map links;
  std::vector<bridge_view> bridges;
  firewall_rules firewall;
  bool firewall_read = false;
  // Engine vs rules: "network backend (172.18.0.0/16): no MASQUERADE rule", ...
  std::vector<std::string> disagreements;
  std::vector<std::string> warnings;
};

// `engine` may be null or unreachable (see map_links). Reading the rules may fail (no
// iptables-save): that is a warning, not an error.
network_map build_network_map(engine::client* engine);

// {"schema": "forensic.netmap/1", ...}: docs/json-net.md.
nlohmann::json to_json(const network_map& m);

}  // namespace forensic::net
