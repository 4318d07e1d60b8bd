#pragma once
// How the engine names the host bridge of a bridge-driver network (libnetwork's rule), shared
// by net::bridge_of_network/docker_bridges and net's capture targets.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace forensic::net::detail {

// The option com.docker.network.bridge.name when set (the default network "bridge" has
// "docker0" there), else "br-" + the first 12 hex digits of the network id.
inline std::string bridge_name_of(const nlohmann::json& network) {
  if (network.contains("Options") && network["Options"].is_object()) {
    const auto& o = network["Options"];
    auto it = o.find("com.docker.network.bridge.name");
    if (it != o.end() && it->is_string() && !it->get<std::string>().empty()) {
      return it->get<std::string>();
    }
  }
  if (network.value("Name", "") == "bridge") return "docker0";
  return "br-" + network.value("Id", "").substr(0, 12);
}

// True when the host has a bridge device of that name.
inline bool is_host_bridge(const std::string& name) {
  std::error_code ec;
  return !name.empty() && name.find('/') == std::string::npos &&
         std::filesystem::exists(std::filesystem::path("/sys/class/net") / name / "bridge", ec);
}

}  // namespace forensic::net::detail
