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
// The quarantine belongs to the container, not to the veth or address it had when isolated:
// the record (state file, keyed by container id) says what is wanted, and `follow` re-applies
// it from the engine's event stream (rules rewritten for the new veth and addresses on start
// and network connect, removed on stop so that a later holder of the old address is never
// blocked). Without `follow` running the rules stay as written; `list` then reports them as
// stale when they no longer match the container (docs/isolation.md).
// Network quarantine only holds where the host's firewall sees the traffic: a bridge network's
// veth. A container on a macvlan/ipvlan/overlay network, or sharing the host's namespace, is
// paused instead (the fallback, said in the result), or refused when the caller asks so.
// Containers sharing the target's network namespace are cut off with it: they are named in the
// result and the record.
// What was done is also recorded in a small state file (default /run/forensic/quarantine),
// which is how pause/disconnect/tc quarantines are listed and released; for iptables the
// tagged rules themselves are the record.
#include <atomic>
#include <cstdint>
#include <functional>
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

// Another container in the target's network namespace (--network container:X, either way).
// Proof: one of its processes (by cgroup) has the target's /proc/<pid>/ns/net inode.
struct namespace_sharer {
  std::string container_id;
  std::string container_name;
};

// The container as the quarantine sees it.
struct quarantine_target {
  std::string container_id;  // full id
  std::string container_name;
  bool running = false;                 // running or paused: it has a network namespace
  std::vector<std::string> host_veths;  // host side of each of its veths
  std::vector<std::string> addresses;   // its IPv4/IPv6 addresses, without prefix
  std::vector<std::string> networks;    // engine network ids (disconnect mode)
  std::uint64_t netns_inode = 0;        // 0 when not running
  // Its namespace has an IPv6 address on some interface (/proc/<pid>/net/if_inet6); Docker
  // disables IPv6 in containers whose networks have none.
  bool ipv6 = true;
  std::vector<namespace_sharer> sharing_namespace;
  // Why the host's firewall cannot see some of its traffic ("network mv1 uses the macvlan
  // driver: ..."); empty when every path goes through a host veth.
  std::vector<std::string> unfirewalled;
};

// Resolves a reference (name, id, prefix) through the engine and the network module.
quarantine_target resolve_target(engine::client& engine, std::string_view reference);

struct quarantine_options {
  isolation_mode mode = isolation_mode::network;
  std::string case_id = "adhoc";   // [A-Za-z0-9._-]{1,64}
  std::vector<std::string> allow;  // addresses or CIDRs kept reachable (network mode)
  bool dry_run = false;            // compute and return the commands, change nothing
  // Network mode where the firewall cannot see the traffic: pause instead (true), or refuse.
  bool fallback = true;
};

// Why an isolation was not done (nothing was changed).
enum class refusal {
  none,
  unenforceable,  // network quarantine cannot hold here and the fallback was declined
  case_conflict,  // already quarantined under another case
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
  std::vector<namespace_sharer> sharing_namespace;  // cut off together with the target
  std::string fallback_reason;  // set when `mode` is a fallback from network mode
  refusal refused = refusal::none;
  std::string refusal_message;  // one line, for the user
};

// One container quarantined now.
struct quarantine_record {
  std::string container_id;  // full id when known (state file), else the id12 of the tag
  std::string container_name;
  std::string case_id;
  isolation_mode mode = isolation_mode::network;
  std::string backend;
  std::vector<std::string> host_veths;
  std::vector<std::string> rules;                   // as iptables-save prints them, or tc filters
  std::string since;                                // RFC 3339 UTC, from the state file
  std::vector<namespace_sharer> sharing_namespace;  // as recorded at isolation
  std::string fallback_reason;
  // Checked against the container as it is now:
  //  "enforced"  the quarantine holds on the container's current veths/addresses (or it is
  //              paused / disconnected as recorded);
  //  "stale"     rules are in force but name veths/addresses the container no longer has
  //              (stopped, restarted, address changed), so they may hit another container;
  //  "missing"   the container runs and nothing of the quarantine is in force;
  //  "waiting"   the container is not running and no rule is left (`follow` re-applies on
  //              start);
  //  "removed"   the container no longer exists.
  std::string status;
  bool in_force = false;           // some rule (or the pause / disconnect) is in place now
  bool matches_container = false;  // what is in force is exactly the container's current set
  std::vector<std::string> current_veths, current_addresses;
  std::vector<std::string> stale;  // what is wrong, one line each
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

  // Brings one recorded quarantine in line with the container as it is now (rules rewritten
  // for its current veths/addresses, removed while it is stopped or gone, pause re-applied).
  // Returns what was done, one line per change; nothing when it already holds.
  std::vector<std::string> reconcile(const std::string& container_id);
  // Reconciles every record, then follows `events_engine`'s event stream (a second client:
  // the first one is used for the changes) and reconciles a container on each start, stop,
  // removal, pause change and network (dis)connect, until `stop` turns true. `report` gets
  // one line per change.
  void follow(engine::client& events_engine, const std::atomic<bool>& stop,
              const std::function<void(const std::string&)>& report);

 private:
  engine::client& engine_;
  std::optional<firewall_kind> forced_;
  std::optional<firewall_backend> backend_;
  std::string state_dir_;
};

nlohmann::json to_json(const namespace_sharer& s);
nlohmann::json to_json(const isolation_result& r);
nlohmann::json to_json(const quarantine_record& r);

// The `forensic.isolate/1` documents `ir-isolate --json` prints: {schema, result} for an
// isolation or a release, {schema, quarantined: [records]} for a listing.
nlohmann::json to_document(const isolation_result& r);
nlohmann::json to_document(const std::vector<quarantine_record>& records);

}  // namespace forensic::response
