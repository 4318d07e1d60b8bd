// Which parts of an inspect document the container model reads; the rest is dropped while
// parsing instead of being built into a tree and destroyed.
#include "engine/inspect_filter.hpp"

#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace forensic::engine {
namespace {

using nlohmann::json;

// Must list every key parse_container_inspect reads (tests/unit compare both parses).
constexpr std::array<std::string_view, 12> top_level = {
    "Id",   "Name", "Config",  "HostConfig",      "State",  "Image",
    "Path", "Args", "Created", "NetworkSettings", "Mounts", "AppArmorProfile"};
constexpr std::array<std::string_view, 5> in_config = {"Image", "Tty", "Hostname", "Labels",
                                                       "User"};
constexpr std::array<std::string_view, 11> in_host_config = {
    "Privileged", "CapAdd",     "CapDrop",        "SecurityOpt", "NetworkMode", "PidMode",
    "IpcMode",    "UsernsMode", "ReadonlyRootfs", "PidsLimit",   "Memory"};
constexpr std::array<std::string_view, 5> in_state = {"StartedAt", "FinishedAt", "Status", "Pid",
                                                      "ExitCode"};
constexpr std::array<std::string_view, 2> in_network_settings = {"Networks", "Ports"};

template <std::size_t N>
bool listed(const std::array<std::string_view, N>& keys, std::string_view key) {
  for (auto k : keys) {
    if (k == key) return true;
  }
  return false;
}

// Keys at depth 2 are filtered by the top-level key they sit under; everything deeper (network
// entries, labels, mounts) is kept whole.
bool keep_nested(std::string_view parent, std::string_view key) {
  if (parent == "Config") return listed(in_config, key);
  if (parent == "HostConfig") return listed(in_host_config, key);
  if (parent == "State") return listed(in_state, key);
  if (parent == "NetworkSettings") return listed(in_network_settings, key);
  return true;
}

}  // namespace

json::parser_callback_t inspect_fields_filter() {
  // The callback sees keys without their path: the last top-level key tells where we are. One
  // callback serves a whole batch, so each document's start resets it; a document that is not
  // an object (the list call in the same batch) passes whole.
  struct state {
    bool object_at_top = false;
    std::string parent;
  };
  auto at = std::make_shared<state>();
  return [at](int depth, json::parse_event_t event, json& parsed) {
    if (depth == 0 &&
        (event == json::parse_event_t::object_start || event == json::parse_event_t::array_start)) {
      at->object_at_top = event == json::parse_event_t::object_start;
      at->parent.clear();
      return true;
    }
    if (!at->object_at_top || event != json::parse_event_t::key || !parsed.is_string()) {
      return true;
    }
    const auto& key = parsed.get_ref<const std::string&>();
    if (depth == 1) {
      at->parent = key;
      return listed(top_level, key);
    }
    if (depth == 2) return keep_nested(at->parent, key);
    return true;
  };
}

}  // namespace forensic::engine
