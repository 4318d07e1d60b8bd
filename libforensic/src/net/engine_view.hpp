#pragma once
// What the network module needs from the engine, fetched once: containers and networks. When
// the engine cannot be asked, the snapshot says why and the caller falls back to what the
// kernel shows (namespaces, links, rules) with names unknown.
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "forensic/engine/containers.hpp"

namespace forensic::engine {
class client;
}

namespace forensic::net::detail {

struct docker_network {
  std::string id, name, driver;
  std::string bridge;  // host bridge of a bridge network: option, "docker0", or "br-<id12>"
  bool internal = false;
  bool masquerade = true;  // com.docker.network.bridge.enable_ip_masquerade
  std::vector<std::string> subnets;
};

// /networks list items; tolerant of missing keys and nulls.
std::vector<docker_network> parse_docker_networks(const nlohmann::json& list);

struct engine_snapshot {
  bool available = false;
  std::string failure;  // why not, when !available
  std::vector<engine::container> containers;
  std::vector<docker_network> networks;

  const engine::container* find(const std::string& id) const;
  const docker_network* network_by_bridge(const std::string& bridge) const;
  const docker_network* network_by_id(const std::string& id) const;
};

// containers: every container (all=1), inspected when `inspect` (pid and modes need it);
// networks only when `networks` (one more round trip, which ir-locate does without).
engine_snapshot take_snapshot(engine::client* engine, bool inspect, bool networks = true);

}  // namespace forensic::net::detail
