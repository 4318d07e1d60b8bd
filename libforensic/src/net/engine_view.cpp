#include "net/engine_view.hpp"

#include <nlohmann/json.hpp>

#include "forensic/engine/client.hpp"
#include "forensic/engine/networks.hpp"
#include "forensic/error.hpp"

namespace forensic::net::detail {
namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::vector<docker_network> parse_docker_networks(const json& list) {
  std::vector<docker_network> out;
  if (!list.is_array()) return out;
  for (const auto& item : list) {
    docker_network n;
    n.id = str(item, "Id");
    n.name = str(item, "Name");
    n.driver = str(item, "Driver");
    auto internal = item.is_object() ? item.find("Internal") : item.end();
    n.internal = item.is_object() && internal != item.end() && internal->is_boolean() &&
                 internal->get<bool>();
    const json options = item.is_object() ? item.value("Options", json::object()) : json();
    const std::string custom = str(options, "com.docker.network.bridge.name");
    n.masquerade = str(options, "com.docker.network.bridge.enable_ip_masquerade") != "false";
    if (n.driver == "bridge") {
      n.bridge = !custom.empty()      ? custom
                 : n.name == "bridge" ? "docker0"
                                      : "br-" + n.id.substr(0, 12);
    }
    const json ipam = item.is_object() ? item.value("IPAM", json::object()) : json();
    const json config = ipam.is_object() ? ipam.value("Config", json::array()) : json();
    if (config.is_array()) {
      for (const auto& c : config) {
        const std::string subnet = str(c, "Subnet");
        if (!subnet.empty()) n.subnets.push_back(subnet);
      }
    }
    out.push_back(std::move(n));
  }
  return out;
}

const engine::container* engine_snapshot::find(const std::string& id) const {
  for (const auto& c : containers) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

const docker_network* engine_snapshot::network_by_bridge(const std::string& bridge) const {
  for (const auto& n : networks) {
    if (!bridge.empty() && n.bridge == bridge) return &n;
  }
  return nullptr;
}

const docker_network* engine_snapshot::network_by_id(const std::string& id) const {
  for (const auto& n : networks) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

engine_snapshot take_snapshot(engine::client* engine, bool inspect, bool networks) {
  engine_snapshot s;
  if (!engine) {
    s.failure = "no engine was asked";
    return s;
  }
  try {
    s.containers =
        engine::list_containers(*engine, {.all = true, .inspect = inspect, .filters = {}});
    if (networks) s.networks = parse_docker_networks(engine::list_networks(*engine));
    s.available = true;
  } catch (const forensic::error& e) {
    s.failure = e.what();
    s.containers.clear();
    s.networks.clear();
  }
  return s;
}

}  // namespace forensic::net::detail
