#pragma once
// Private to proc/membership.cpp (and its unit tests): the text of /proc files it compares.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace forensic::proc::detail {

// /proc/<pid>/cgroup ("12:pids:/docker/<id>", "0::/system.slice/x.scope") as
// "<hierarchy id>:<controllers>" -> path. Malformed lines are skipped.
std::map<std::string, std::string> parse_cgroup(std::string_view text);

// The hierarchy used to compare memberships, chosen from the init's cgroups: the unified one
// ("0:") when it has a path other than "/", else the one whose controllers include pids, else
// memory, else the first with a path other than "/". Empty when every path is "/" (nothing can
// be told apart).
std::string membership_hierarchy(const std::map<std::string, std::string>& init_cgroups);

// `path` is `base` or below it ("/docker/a/sub" is within "/docker/a"; "/docker/ab" is not).
bool within(std::string_view path, std::string_view base);

// The pids of the NSpid line of /proc/<pid>/status, outermost namespace first; empty when absent.
std::vector<int> nspid_levels(std::string_view status);

}  // namespace forensic::proc::detail
