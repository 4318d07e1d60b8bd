#pragma once
// The record of what ir-isolate did to a container, kept in a small JSON file per container
// under the state directory (tmpfs /run by default: a reboot ends every quarantine anyway).
// iptables rules are their own record (their tags); this file adds the name, the time, and
// what pause/disconnect/tc need to be undone.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "forensic/response/isolator.hpp"

namespace forensic::response::detail {

// A network the container was disconnected from, with what reconnecting it needs.
struct detached_network {
  std::string name;
  std::string id;
  std::string ipv4;  // the endpoint's addresses, given back when the user chose them
  std::string ipv6;
  std::vector<std::string> aliases;
  bool user_ipam = false;  // the endpoint had an IPAMConfig: its address was fixed by the user
};

// One state file. Its keys ("container_id", "case", "mode", "networks", ...) are the file
// format that earlier versions wrote and later ones read: they do not change.
struct quarantine_state {
  std::string container_id;
  std::string container_name;
  std::string case_id;
  isolation_mode mode = isolation_mode::network;
  std::string backend;  // "iptables-nft", "tc", "engine"
  std::vector<std::string> host_veths;
  std::vector<std::string> addresses;
  std::vector<std::string> allow;
  std::string since;                                        // RFC 3339 UTC
  std::optional<std::vector<detached_network>> networks;    // disconnect mode
  std::optional<std::vector<std::string>> tc_clsact_added;  // tc: where we added the qdisc
  std::vector<namespace_sharer> sharing_namespace;          // cut off with it
  std::string fallback_reason;  // network mode was asked; `mode` is what could hold
};

nlohmann::json to_json(const quarantine_state& s);
// Reads a state file's document; missing keys take their defaults. A document that is not
// such a record (not an object, a key of the wrong type, an unknown mode) throws
// errc::parse naming the key, and nothing is returned half-filled.
quarantine_state quarantine_state_from_json(const nlohmann::json& doc);

// Written atomically (temporary file, fsync, rename), mode 0600 in a 0700 directory.
void write_state(const std::string& dir, const std::string& container_id,
                 const quarantine_state& state);
// No record: the file is absent, or is not a record (unreadable, not JSON, malformed); the
// container is then treated as not recorded, as a file this tool never wrote would be.
std::optional<quarantine_state> read_state(const std::string& dir, const std::string& container_id);
void remove_state(const std::string& dir, const std::string& container_id);
// Every well-formed record in `dir`; malformed files are skipped.
std::vector<quarantine_state> all_states(const std::string& dir);

std::string utc_now();  // RFC 3339, seconds

}  // namespace forensic::response::detail
