#pragma once
// The record of what ir-isolate did to a container, kept in a small JSON file per container
// under the state directory (tmpfs /run by default: a reboot ends every quarantine anyway).
// iptables rules are their own record (their tags); this file adds the name, the time, and
// what pause/disconnect/tc need to be undone.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace forensic::response::detail {

// Written atomically (temporary file, fsync, rename), mode 0600 in a 0700 directory.
void write_state(const std::string& dir, const std::string& container_id,
                 const nlohmann::json& state);
std::optional<nlohmann::json> read_state(const std::string& dir, const std::string& container_id);
void remove_state(const std::string& dir, const std::string& container_id);
std::vector<nlohmann::json> all_states(const std::string& dir);

std::string utc_now();  // RFC 3339, seconds

}  // namespace forensic::response::detail
