#pragma once
// The host side of network quarantine: which firewall backend Docker's traffic goes through,
// reading the filter table, applying a restore script as one transaction, and the tc fallback.
#include <optional>
#include <string>
#include <vector>

#include "forensic/response/isolator.hpp"

namespace forensic::response::detail {

// Looks at the host (no side effect: the legacy table is only read when its module is already
// loaded, since reading it would load it).
firewall_backend detect_backend(std::optional<firewall_kind> forced);

// `iptables-save -t filter` (family 4) or `ip6tables-save -t filter` (6) of the backend.
std::string save_filter(const firewall_backend& b, int family);
// `iptables-restore --noflush -w` fed `script` on stdin: one transaction, all or nothing.
// Throws errc::engine_error with the tool's message when it refuses.
void restore_filter(const firewall_backend& b, int family, const std::string& script);

// tc fallback on the host veths. Applies all or nothing (rolls back what it added on failure);
// returns the veths on which it had to add the clsact qdisc.
std::vector<std::string> tc_quarantine(const firewall_backend& b, const quarantine_target& t,
                                       const std::vector<std::string>& allow);
// Removes our filters (by cookie) and the clsact qdiscs we added. Returns the commands run.
std::vector<std::string> tc_release(const firewall_backend& b, const std::string& container_id,
                                    const std::vector<std::string>& veths,
                                    const std::vector<std::string>& clsact_added, bool dry_run);
// Our filters on a veth, one line per filter ("ingress pref 49199 matchall drop").
std::vector<std::string> tc_filters(const firewall_backend& b, const std::string& container_id,
                                    const std::string& veth);

std::string join_argv(const std::vector<std::string>& argv);

}  // namespace forensic::response::detail
