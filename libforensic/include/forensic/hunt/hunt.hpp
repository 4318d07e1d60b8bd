#pragma once
// Kernel against engine: what this host's kernel runs, reconciled with what the engine knows.
//
// Every process of /proc is read once (its pid, net, mnt, uts, ipc and cgroup namespace inodes,
// its cgroup, its NSpid levels) and grouped by those; every network namespace is listed, those
// held by a process and those held only by a bind mount (`ip netns add` under /run/netns,
// Docker's sandboxes under /var/run/docker/netns), with their interfaces joined to the host's
// veths and bridges (net/namespaces.hpp). The engine's containers (one list, inspected) are
// then compared with that, and what does not reconcile is a finding:
//   "unowned_namespace"        a pid/net/mnt/uts/ipc/cgroup namespace that is not the host's
//                              and that no engine container's process is in (runc or ctr run
//                              directly, `unshare -n -p` workloads, `ip netns add` + veth);
//   "nested_pid_namespace"     a pid namespace below a container's (`unshare -fp` inside it);
//   "entered_from_outside"     a process in a container's namespaces but outside its cgroup
//                              (nsenter, setns from the host);
//   "unknown_container_cgroup" processes whose cgroup names a container id the engine does
//                              not know (a container started behind the engine's back, or a
//                              record deleted);
//   "stopped_with_processes"   the engine says the container is not running, the kernel still
//                              runs processes in its cgroup;
//   "engine_pid_mismatch"      the pid the engine reports for a running container is gone or
//                              is not in that container's cgroup.
// A container is only ever named from proof: its id in a process's cgroup path, or a namespace
// inode equal to its init's (the init itself proven by its cgroup). The host's namespaces are
// pid 1's (kthreadd's where /proc hides pid 1's). Only a local engine (unix socket) can be
// reconciled with this host's kernel.
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "forensic/net/namespaces.hpp"

namespace forensic::engine {
class client;
}

namespace forensic::hunt {

// The six namespace kinds compared, in the order of every list here.
inline constexpr std::string_view namespace_kinds[] = {"pid", "net", "mnt", "uts", "ipc", "cgroup"};

struct namespace_ids {
  std::uint64_t inode[6] = {};  // by namespace_kinds order; 0 when unreadable
  std::uint64_t of(std::string_view kind) const noexcept;
  auto operator<=>(const namespace_ids&) const = default;
};

// Processes that share all six namespaces and their cgroup.
struct process_group {
  namespace_ids ns;
  std::string cgroup;              // path in the unified hierarchy (else the pids/memory one)
  std::string container_id;        // the engine container its cgroup names; empty when none
  std::string container_name;      // empty when not an engine container
  std::vector<int> pids;           // host pids, ascending
  std::vector<std::string> comms;  // same order; hostile text, escape before printing
};

struct network_namespace {
  std::uint64_t inode = 0;
  std::vector<int> pids;                // processes in it; empty for one held by a mount alone
  std::vector<std::string> mounts;      // bind mounts that hold it
  std::vector<std::string> containers;  // engine containers whose processes are in it
  bool interfaces_read = false;
  std::string error;  // why not, when !interfaces_read
  std::vector<net::container_interface> interfaces;
};

struct hunt_finding {
  std::string kind;      // see above
  std::string severity;  // "high", "medium", "low"
  std::string summary;   // one line; hostile text (comm) escaped before printing
  std::string container_id;
  std::string container_name;
  std::vector<int> pids;
  std::string namespace_kind;  // for namespace findings
  std::uint64_t namespace_inode = 0;
  std::vector<std::string> bridges;  // Docker bridges a veth of its network namespace is on
  std::vector<std::string> facts;    // what the kernel and the engine said, one fact a line
};

struct hunt_report {
  std::string hunted_at;  // RFC 3339 UTC
  std::string engine;     // endpoint
  namespace_ids host;     // pid 1's
  std::size_t process_count = 0;
  std::size_t container_count = 0;  // engine containers, all states
  std::vector<process_group> groups;
  std::vector<network_namespace> network_namespaces;
  std::vector<hunt_finding> findings;  // high first
  std::vector<std::string> warnings;
};

struct hunt_options {
  // Directories whose files may be bind mounts holding a network namespace.
  std::vector<std::string> netns_dirs = {"/run/netns", "/var/run/docker/netns"};
};

// Reads the kernel and the engine and reconciles them. Throws errc::invalid_argument when the
// engine is not on this host's unix socket (its pids name processes of another kernel), and
// the engine's errors when it cannot list its containers.
hunt_report hunt_host(engine::client& engine, const hunt_options& options = {});

// The part of a report that concerns one container: findings naming it (and the unowned ones
// whose network namespace has a veth on a bridge it is attached to), its groups and network
// namespaces.
hunt_report about_container(const hunt_report& report, const std::string& container_id);

// Schema "forensic.hunt/1" (docs/json-hunt.md).
nlohmann::json to_json(const hunt_finding& f);
nlohmann::json to_json(const hunt_report& r);

}  // namespace forensic::hunt
