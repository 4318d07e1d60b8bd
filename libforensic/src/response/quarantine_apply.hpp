#pragma once
// Applying and removing one container's iptables quarantine, shared by isolate, release and
// the supervisor (reconcile): each change is one iptables-restore --noflush transaction per
// family, and a failure of the second family takes the first back.
#include <string>
#include <vector>

#include "forensic/response/isolator.hpp"
#include "response/state.hpp"

namespace forensic::response::detail {

std::vector<int> families(const firewall_backend& b);
std::vector<std::string> script_lines(const std::string& script);

// Removes every rule tagged for the container, in each family, and our jump and chain when
// nothing of ours is left; returns the restore lines ("iptables: -D ...").
std::vector<std::string> remove_rules(const firewall_backend& b, const std::string& id,
                                      bool dry_run);

// Writes the container's rules for its current veths and addresses in place of its earlier
// ones. A family with nothing to match gets nothing (not even our chain), and so does IPv6 for
// a container without IPv6 when the host has no ip6tables filter table yet (creating one is a
// change release could not take back; `notes` says so). Returns false when the rules in force
// are already exactly these; `commands` gets the restore lines. When the container already has
// rules under another case, nothing is applied and that case is returned in `other_case`.
bool apply_rules(const firewall_backend& b, const quarantine_target& t,
                 const std::vector<std::string>& allow, const std::string& case_id, bool dry_run,
                 std::vector<std::string>& commands, std::vector<std::string>& notes,
                 std::string* other_case = nullptr);

// The networks of an inspect document, with what reconnecting to each needs.
std::vector<detached_network> attached_networks(const nlohmann::json& inspect);

}  // namespace forensic::response::detail
