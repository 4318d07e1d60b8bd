#pragma once
// Cutting a suspect container off without destroying evidence, and undoing it.
//
// Three modes, as responders use them:
//  - network: quarantine rules in the filter table's DOCKER-USER chain (Docker jumps there
//    before any of its own rules), plus INPUT/OUTPUT so the container cannot reach the host
//    itself, matching the container's host veth(s) (physdev) and its addresses, both directions,
//    IPv4 and IPv6. Each rule carries the comment "forensic-quarantine:<id12>:<case>", which is
//    how release and list find exactly our rules. Rules are applied in one
//    iptables-restore --noflush transaction per family; if the second family fails, the first
//    is taken back, so an error leaves no half-applied quarantine. Where no iptables backend
//    manages Docker's traffic (an engine with its own nftables rules, --iptables=false), the
//    fallback is a tc clsact drop on the host veth(s).
//  - pause: the engine's cgroup freeze (POST /containers/{id}/pause).
//  - disconnect: the engine's network disconnect, from every network (reconnected on release
//    with the same addresses and aliases).
// What was done is also recorded in a small state file (default /run/forensic/quarantine),
// which is how pause/disconnect/tc quarantines are listed and released; for iptables the
// tagged rules themselves are the record.
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forensic::engine {
class client;
}

namespace forensic::response {

enum class isolation_mode { network, pause, disconnect };
const char* to_string(isolation_mode m) noexcept;
isolation_mode parse_isolation_mode(std::string_view text);  // throws errc::invalid_argument

// How network quarantine is enforced on this host.
enum class firewall_kind { iptables_legacy, iptables_nft, tc };
const char* to_string(firewall_kind k) noexcept;
firewall_kind parse_firewall_kind(
    std::string_view text);  // "iptables-legacy", "iptables-nft", "tc"

struct firewall_backend {
  firewall_kind kind = firewall_kind::tc;
  bool docker_user_chain = false;  // DOCKER-USER exists in the IPv4 filter table now
  bool ipv6 = false;               // the host has IPv6 and an ip6tables for this backend
  std::string save, restore, save6, restore6;  // absolute paths (iptables kinds)
  std::string tc;                              // absolute path of tc, when present
  std::string reason;                          // why this backend was chosen, for the report
};

// The container as the quarantine sees it.
struct quarantine_target {
  std::string container_id;  // full id
  std::string container_name;
  std::vector<std::string> host_veths;  // host side of each of its veths
  std::vector<std::string> addresses;   // its IPv4/IPv6 addresses, without prefix
  std::vector<std::string> networks;    // engine network ids (disconnect mode)
};

// Resolves a reference (name, id, prefix) through the engine and the network module.
quarantine_target resolve_target(engine::client& engine, std::string_view reference);

struct quarantine_options {
  isolation_mode mode = isolation_mode::network;
  std::string case_id = "adhoc";   // [A-Za-z0-9._-]{1,64}
  std::vector<std::string> allow;  // addresses or CIDRs kept reachable (network mode)
  bool dry_run = false;            // compute and return the commands, change nothing
};

struct isolation_result {
  std::string container_id;
  std::string container_name;
  isolation_mode mode = isolation_mode::network;
  std::string backend;   // "iptables-nft", "tc", "engine"
  bool changed = false;  // false: nothing to do (already in that state)
  bool dry_run = false;
  std::vector<std::string> commands;  // exact rules / tc commands / engine requests
  std::vector<std::string> notes;
};

// One container quarantined now.
struct quarantine_record {
  std::string container_id;  // full id when known (state file), else the id12 of the tag
  std::string container_name;
  std::string case_id;
  isolation_mode mode = isolation_mode::network;
  std::string backend;
  std::vector<std::string> host_veths;
  std::vector<std::string> rules;  // as iptables-save prints them, or tc filters
  std::string since;               // RFC 3339 UTC, from the state file
};

class isolator {
 public:
  // `backend` forces a firewall backend; otherwise it is detected on first use.
  explicit isolator(engine::client& engine, std::optional<firewall_kind> backend = {},
                    std::string state_dir = "/run/forensic/quarantine");

  // Detects (once) and returns the firewall backend.
  const firewall_backend& backend();

  isolation_result isolate(const quarantine_target& target, const quarantine_options& options);
  // Removes our rules for the container (every case), unpauses, or reconnects, per what is
  // recorded; `dry_run` returns the commands only.
  isolation_result release(const quarantine_target& target, bool dry_run = false);
  std::vector<quarantine_record> list();

 private:
  engine::client& engine_;
  std::optional<firewall_kind> forced_;
  std::optional<firewall_backend> backend_;
  std::string state_dir_;
};

nlohmann::json to_json(const isolation_result& r);
nlohmann::json to_json(const quarantine_record& r);

// The `forensic.isolate/1` documents `ir-isolate --json` prints: {schema, result} for an
// isolation or a release, {schema, quarantined: [records]} for a listing.
nlohmann::json to_document(const isolation_result& r);
nlohmann::json to_document(const std::vector<quarantine_record>& records);

}  // namespace forensic::response
