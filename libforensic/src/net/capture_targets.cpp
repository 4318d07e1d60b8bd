#include "forensic/net/capture_targets.hpp"

#include <net/if.h>

#include <filesystem>
#include <map>
#include <set>

#include "forensic/engine/client.hpp"
#include "forensic/engine/containers.hpp"
#include "forensic/engine/networks.hpp"
#include "forensic/error.hpp"
#include "forensic/net/links.hpp"
#include "net/bridge_naming.hpp"

namespace forensic::net {
namespace {

namespace fs = std::filesystem;

// bridge device -> network name, for every bridge-driver network (one engine call).
std::map<std::string, std::string> networks_by_bridge(engine::client& engine) {
  std::map<std::string, std::string> out;
  const auto list = engine::list_networks(engine, {{"driver", "bridge"}});
  if (!list.is_array()) return out;
  for (const auto& n : list) out[detail::bridge_name_of(n)] = n.value("Name", "");
  return out;
}

// The bridge a host interface is enslaved to: /sys/class/net/<if>/master -> ../<bridge>.
std::string master_of(const std::string& name) {
  std::error_code ec;
  const auto target = fs::read_symlink(fs::path("/sys/class/net") / name / "master", ec);
  return ec ? std::string() : target.filename().string();
}

bool interface_exists(const std::string& name) {
  return !name.empty() && name.size() < IF_NAMESIZE && name.find('/') == std::string::npos &&
         ::if_nametoindex(name.c_str()) != 0;
}

}  // namespace

std::vector<capture::capture_interface> container_interfaces(engine::client& engine,
                                                             std::string_view container) {
  const auto veths = host_interfaces_of(engine, container);
  const auto c = engine::inspect_container(engine, container);
  std::map<std::string, std::string> networks;
  try {
    networks = networks_by_bridge(engine);
  } catch (const error&) {
    // Descriptions lose the network name; the capture itself does not need it.
  }
  std::vector<capture::capture_interface> out;
  for (const auto& v : veths) {
    capture::capture_interface i{v,
                                 "host veth of container " + c.name() + " (" + c.short_id() + ")"};
    const std::string bridge = master_of(v);
    auto it = networks.find(bridge);
    if (it != networks.end()) i.description += " on network " + it->second;
    if (!bridge.empty()) i.description += ", bridge " + bridge;
    out.push_back(std::move(i));
  }
  return out;
}

capture::capture_interface network_interface(engine::client& engine, std::string_view network) {
  const std::string bridge = bridge_of_network(engine, network);
  return {bridge, "bridge " + bridge + " of Docker network " + std::string(network)};
}

std::vector<capture::capture_interface> all_bridge_interfaces(engine::client* engine) {
  std::map<std::string, std::string> networks;
  if (engine) {
    try {
      networks = networks_by_bridge(*engine);
    } catch (const error&) {
    }
  }
  std::vector<capture::capture_interface> out;
  for (const auto& b : docker_bridges(engine)) {
    auto it = networks.find(b);
    out.push_back({b, it != networks.end() ? "bridge " + b + " of Docker network " + it->second
                                           : "Docker bridge " + b});
  }
  if (out.empty()) throw error(errc::not_found, "no Docker bridge on this host");
  return out;
}

namespace {

// named_interface() with the engine's networks already listed (one call for many names).
capture::capture_interface described_interface(const std::string& name,
                                               const std::map<std::string, std::string>& networks) {
  if (name == "any") return {name, "all interfaces of the host (cooked link layer)"};
  if (!interface_exists(name)) {
    throw error(errc::not_found, "no interface named '" + name + "' on this host");
  }
  capture::capture_interface i{name, ""};
  if (detail::is_host_bridge(name)) {
    auto it = networks.find(name);
    i.description = it != networks.end() ? "bridge " + name + " of Docker network " + it->second
                                         : "bridge " + name;
  } else if (const std::string bridge = master_of(name); !bridge.empty()) {
    auto it = networks.find(bridge);
    i.description = "port of bridge " + bridge;
    if (it != networks.end()) i.description += " (Docker network " + it->second + ")";
  }
  return i;
}

// The engine's networks by bridge, or none when it cannot say (descriptions only).
std::map<std::string, std::string> networks_if_known(engine::client* engine) {
  if (!engine) return {};
  try {
    return networks_by_bridge(*engine);
  } catch (const error&) {
    return {};
  }
}

}  // namespace

capture::capture_interface named_interface(engine::client* engine, const std::string& name) {
  if (name == "any" || !interface_exists(name)) return described_interface(name, {});
  return described_interface(name, networks_if_known(engine));
}

namespace {

// Each target in turn; `tolerant` skips a target that has nothing to capture on now.
std::vector<capture::capture_interface> resolve(engine::client& engine, const capture_targets& t,
                                                bool tolerant) {
  std::vector<capture::capture_interface> out;
  auto each = [&](auto&& add) {
    try {
      add();
    } catch (const error& e) {
      if (!tolerant || e.kind() != errc::not_found) throw;
    }
  };
  for (const auto& c : t.containers) {
    each([&] {
      for (auto& i : container_interfaces(engine, c)) out.push_back(std::move(i));
    });
  }
  for (const auto& n : t.networks) each([&] { out.push_back(network_interface(engine, n)); });
  if (t.all_bridges) {
    each([&] {
      for (auto& i : all_bridge_interfaces(&engine)) out.push_back(std::move(i));
    });
  }
  if (!t.interfaces.empty()) {
    const auto networks = networks_if_known(&engine);
    for (const auto& n : t.interfaces)
      each([&] { out.push_back(described_interface(n, networks)); });
  }
  std::vector<capture::capture_interface> unique;
  std::set<std::string> seen;
  for (auto& i : out) {
    if (seen.insert(i.name).second) unique.push_back(std::move(i));
  }
  return unique;
}

}  // namespace

std::vector<capture::capture_interface> resolve_targets(engine::client& engine,
                                                        const capture_targets& targets) {
  return resolve(engine, targets, false);
}

std::vector<capture::capture_interface> targets_now(engine::client& engine,
                                                    const capture_targets& targets) {
  return resolve(engine, targets, true);
}

}  // namespace forensic::net
