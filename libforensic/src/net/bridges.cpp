// Docker networks to host bridges: the engine names the network, the kernel the bridge.
#include <net/if.h>

#include <algorithm>
#include <filesystem>

#include "forensic/engine/client.hpp"
#include "forensic/engine/networks.hpp"
#include "forensic/error.hpp"
#include "forensic/net/links.hpp"
#include "net/bridge_naming.hpp"

namespace forensic::net {
namespace {

namespace fs = std::filesystem;

using detail::bridge_name_of;
using detail::is_host_bridge;

}  // namespace

std::string bridge_of_network(engine::client& engine, std::string_view network) {
  if (network.empty()) throw error(errc::invalid_argument, "empty network name");
  nlohmann::json doc;
  try {
    doc = engine::inspect_network(engine, network);
  } catch (const error& e) {
    if (e.kind() == errc::not_found) {
      throw error(errc::not_found, "no Docker network named '" + std::string(network) + "'");
    }
    throw;
  }
  if (!doc.is_object()) throw error(errc::parse, "network inspect is not a JSON object");
  const std::string driver = doc.value("Driver", "");
  const std::string name = doc.value("Name", std::string(network));
  if (driver != "bridge") {
    throw error(errc::not_found, "network '" + name + "' uses the " + driver +
                                     " driver: it has no host bridge (capture on a "
                                     "container's interface instead)");
  }
  std::string bridge = bridge_name_of(doc);
  if (!is_host_bridge(bridge)) {
    throw error(errc::not_found, "the bridge " + bridge + " of network '" + name +
                                     "' is not on this host (no container attached yet, or "
                                     "another host's engine)");
  }
  return bridge;
}

std::vector<std::string> docker_bridges(engine::client* engine) {
  std::vector<std::string> out;
  if (engine) {
    try {
      const auto list = engine::list_networks(*engine, {{"driver", "bridge"}});
      if (list.is_array()) {
        for (const auto& n : list) {
          std::string b = bridge_name_of(n);
          if (is_host_bridge(b)) out.push_back(b);
        }
      }
    } catch (const error& e) {
      if (e.kind() != errc::engine_unreachable && e.kind() != errc::permission_denied &&
          e.kind() != errc::timeout) {
        throw;
      }
      // No engine: fall back to the names the engine gives its bridges.
    }
  }
  if (out.empty()) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/sys/class/net", ec)) {
      const std::string name = entry.path().filename().string();
      if ((name == "docker0" || name.rfind("br-", 0) == 0) && is_host_bridge(name)) {
        out.push_back(name);
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace forensic::net
