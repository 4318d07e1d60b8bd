// The reconciliation: the engine's containers, each proven by its init's cgroup, give the
// namespaces they own; what the kernel runs outside them is reported.
#include <algorithm>
#include <map>
#include <set>

#include "forensic/engine/client.hpp"
#include "forensic/engine/containers.hpp"
#include "forensic/engine/endpoint.hpp"
#include "forensic/error.hpp"
#include "forensic/hunt/hunt.hpp"
#include "forensic/io/time.hpp"
#include "forensic/net/namespaces.hpp"
#include "hunt/kernel_view.hpp"
#include "proc/proc_files.hpp"

namespace forensic::hunt {
namespace {

using detail::kernel_process;
using ns_key = std::pair<std::size_t, std::uint64_t>;  // kind index, inode

constexpr std::size_t kinds = std::size(namespace_kinds);
constexpr std::size_t pid_kind = 0, net_kind = 1;

bool runs(const engine::container& c) {
  return c.state == "running" || c.state == "paused" || c.state == "restarting";
}

std::string pid_list(const std::vector<const kernel_process*>& procs) {
  std::string out;
  for (const auto* p : procs) {
    if (!out.empty()) out += ", ";
    if (out.size() > 400) return out + "...";
    out += std::to_string(p->pid) + " (" + p->comm + ")";
  }
  return out;
}

std::vector<int> pids_of(const std::vector<const kernel_process*>& procs) {
  std::vector<int> out;
  for (const auto* p : procs) out.push_back(p->pid);
  return out;
}

struct reconciler {
  explicit reconciler(hunt_report& report) : r(report) {}

  hunt_report& r;
  std::vector<kernel_process> procs;
  std::map<std::string, const engine::container*> by_id;
  std::map<std::string, namespace_ids> inits;      // proven inits of running containers
  std::map<ns_key, std::set<std::string>> owners;  // namespace -> containers in it
  std::map<std::pair<std::string, std::uint64_t>, std::vector<const kernel_process*>> nested;
  std::set<std::uint64_t> nested_pid_namespaces;

  bool is_host(std::size_t kind, std::uint64_t inode) const {
    return inode == 0 || inode == r.host.inode[kind];
  }
  bool known(const kernel_process& p) const { return by_id.count(p.cgroup_container_id) > 0; }
  const std::string& name_of(const std::string& id) const {
    static const std::string none;
    auto it = by_id.find(id);
    return it == by_id.end() ? none : it->second->name();
  }

  void add(hunt_finding f) { r.findings.push_back(std::move(f)); }

  void check_engine_pids() {
    std::map<std::string, std::vector<const kernel_process*>> in_cgroup;
    for (const auto& p : procs) {
      if (!p.cgroup_container_id.empty()) in_cgroup[p.cgroup_container_id].push_back(&p);
    }
    for (const auto& entry : by_id) {
      // Named, not a structured binding: a lambda below captures `c`.
      const auto& id = entry.first;
      const auto& c = entry.second;
      const auto& members = in_cgroup[id];
      if (!runs(*c)) {
        if (members.empty()) continue;
        {
          hunt_finding f;
          f.kind = "stopped_with_processes";
          f.severity = "high";
          f.summary =
              "container " + c->name() + " is '" + c->state +
              "' for the engine, but the kernel runs processes in its cgroup: " + pid_list(members);
          f.container_id = id;
          f.container_name = c->name();
          f.pids = pids_of(members);
          f.facts = {"engine state: " + c->state, "cgroup of pid " +
                                                      std::to_string(members.front()->pid) + ": " +
                                                      members.front()->cgroup};
          add(std::move(f));
        }
        continue;
      }
      const auto it = std::find_if(procs.begin(), procs.end(),
                                   [&](const kernel_process& p) { return p.pid == c->pid; });
      std::string kernel_says;
      if (c->pid <= 0) {
        kernel_says = "the engine reports no pid";
      } else if (it == procs.end()) {
        kernel_says = "the kernel has no process " + std::to_string(c->pid);
      } else if (it->cgroup_container_id != id) {
        kernel_says = "pid " + std::to_string(c->pid) + " (" + it->comm + ") is in cgroup " +
                      it->cgroup +
                      (it->cgroup_container_id.empty()
                           ? std::string(", which names no container")
                           : ", which names container " + it->cgroup_container_id.substr(0, 12));
      } else {
        inits[id] = it->ns;
        continue;
      }
      {
        hunt_finding f;
        f.kind = "engine_pid_mismatch";
        f.severity = "high";
        f.summary = "the engine says container " + c->name() + " runs as pid " +
                    std::to_string(c->pid) + "; " + kernel_says +
                    (members.empty() ? std::string() : "; its cgroup holds " + pid_list(members));
        f.container_id = id;
        f.container_name = c->name();
        f.pids = pids_of(members);
        f.facts = {"engine pid: " + std::to_string(c->pid), kernel_says};
        add(std::move(f));
      }
    }
  }

  void collect_owners() {
    for (const auto& [id, ns] : inits) {
      for (std::size_t k = 0; k < kinds; ++k) {
        if (!is_host(k, ns.inode[k])) owners[{k, ns.inode[k]}].insert(id);
      }
    }
    // Pid namespaces below a container's: walked up only for processes deeper than the host's
    // own namespace whose namespace is no container init's.
    std::map<std::uint64_t, std::string> init_pid_ns;
    for (const auto& [id, ns] : inits) {
      if (!is_host(pid_kind, ns.inode[pid_kind])) init_pid_ns.emplace(ns.inode[pid_kind], id);
    }
    std::map<std::uint64_t, std::string> below;  // cache: nested namespace -> container
    for (const auto& p : procs) {
      const std::uint64_t ns = p.ns.inode[pid_kind];
      if (p.nspid_levels < 2 || is_host(pid_kind, ns) || init_pid_ns.count(ns)) continue;
      auto cached = below.find(ns);
      if (cached == below.end()) {
        std::string owner;
        for (std::uint64_t up : proc::pid_namespace_ancestors(proc::pid_path(p.pid, "ns/pid"))) {
          if (auto it = init_pid_ns.find(up); it != init_pid_ns.end()) {
            owner = it->second;
            break;
          }
        }
        cached = below.emplace(ns, owner).first;
      }
      if (cached->second.empty()) continue;
      nested[{cached->second, ns}].push_back(&p);
      nested_pid_namespaces.insert(ns);
    }
    // Every namespace a process of a known container's cgroup is in belongs to that container.
    for (const auto& p : procs) {
      if (!known(p)) continue;
      for (std::size_t k = 0; k < kinds; ++k) {
        if (!is_host(k, p.ns.inode[k])) owners[{k, p.ns.inode[k]}].insert(p.cgroup_container_id);
      }
    }
  }

  void report_nested() {
    for (const auto& [key, members] : nested) {
      const auto& [id, ns] = key;
      {
        hunt_finding f;
        f.kind = "nested_pid_namespace";
        f.severity = "medium";
        f.summary = "pid namespace " + std::to_string(ns) + " is nested inside container " +
                    name_of(id) + ": " + pid_list(members);
        f.container_id = id;
        f.container_name = name_of(id);
        f.pids = pids_of(members);
        f.namespace_kind = "pid";
        f.namespace_inode = ns;
        f.facts = {"NS_GET_PARENT from pid " + std::to_string(members.front()->pid) +
                   " reaches the pid namespace of the container's init"};
        add(std::move(f));
      }
    }
  }

  void report_outsiders() {
    std::map<ns_key, std::vector<const kernel_process*>> unowned;
    std::map<std::string, std::vector<const kernel_process*>> unknown_ids;
    for (const auto& p : procs) {
      // Kernel threads (kthreadd and its children) run in the initial namespaces, but for a few
      // such as kdevtmpfs with a private mount namespace of the kernel's making.
      if (p.pid == 2 || p.ppid == 2) continue;
      if (!p.cgroup_container_id.empty() && !known(p)) {
        unknown_ids[p.cgroup_container_id].push_back(&p);
        continue;
      }
      std::vector<std::string> entered_kinds;
      std::string entered_into;
      for (std::size_t k = 0; k < kinds; ++k) {
        const std::uint64_t inode = p.ns.inode[k];
        if (is_host(k, inode)) continue;
        if (k == pid_kind && nested_pid_namespaces.count(inode)) continue;
        const auto it = owners.find({k, inode});
        if (it == owners.end()) {
          unowned[{k, inode}].push_back(&p);
        } else if (!it->second.count(p.cgroup_container_id)) {
          entered_kinds.emplace_back(namespace_kinds[k]);
          entered_into = *it->second.begin();
        }
      }
      if (entered_kinds.empty()) continue;
      std::string list;
      for (const auto& k : entered_kinds) list += (list.empty() ? "" : ", ") + k;
      {
        hunt_finding f;
        f.kind = "entered_from_outside";
        f.severity = "high";
        f.summary = "pid " + std::to_string(p.pid) + " (" + p.comm + ") is in the " + list +
                    " namespace(s) of container " + name_of(entered_into) +
                    " but outside its cgroup (" + p.cgroup + ")";
        f.container_id = entered_into;
        f.container_name = name_of(entered_into);
        f.pids = {p.pid};
        f.facts = {"namespaces shared with the container: " + list, "cgroup: " + p.cgroup};
        add(std::move(f));
      }
    }
    for (const auto& [id, members] : unknown_ids) {
      {
        hunt_finding f;
        f.kind = "unknown_container_cgroup";
        f.severity = "high";
        f.summary = "cgroup " + members.front()->cgroup + " names container " + id.substr(0, 12) +
                    ", which the engine does not know: " + pid_list(members);
        f.container_id = id;
        f.pids = pids_of(members);
        f.facts = {"cgroup: " + members.front()->cgroup};
        add(std::move(f));
      }
    }
    for (const auto& [key, members] : unowned) report_unowned(key, members);
  }

  void report_unowned(const ns_key& key, const std::vector<const kernel_process*>& members) {
    const std::string kind(namespace_kinds[key.first]);
    hunt_finding f;
    f.kind = "unowned_namespace";
    f.severity = key.first == pid_kind || key.first == net_kind ? "high" : "low";
    f.summary = kind + " namespace " + std::to_string(key.second) +
                " is not the host's and no engine container is in it: " + pid_list(members);
    f.pids = pids_of(members);
    f.namespace_kind = kind;
    f.namespace_inode = key.second;
    if (key.first == net_kind) describe_netns(f);
    add(std::move(f));
  }

  // The veths of a network namespace and the Docker bridges they reach.
  void describe_netns(hunt_finding& f) {
    for (const auto& n : r.network_namespaces) {
      if (n.inode != f.namespace_inode) continue;
      for (const auto& m : n.mounts) f.facts.push_back("held by the mount " + m);
      for (const auto& i : n.interfaces) {
        if (!i.host_veth) continue;
        f.facts.push_back(i.inside.name + " is the peer of host veth " + i.host_veth->name +
                          (i.bridge.empty() ? std::string() : " on bridge " + i.bridge) +
                          (i.docker_network.empty() ? "" : " (network " + i.docker_network + ")"));
        if (net::is_docker_bridge(i) &&
            std::find(f.bridges.begin(), f.bridges.end(), i.bridge) == f.bridges.end()) {
          f.bridges.push_back(i.bridge);
        }
      }
    }
    if (!f.bridges.empty()) {
      f.severity = "high";
      f.summary += "; it has a veth on Docker bridge " + f.bridges.front();
    }
  }

  // Namespaces held by a mount alone, that no container owns.
  void report_mounted_only() {
    for (const auto& n : r.network_namespaces) {
      if (!n.pids.empty() || !n.containers.empty() || owners.count({net_kind, n.inode}) ||
          is_host(net_kind, n.inode)) {
        continue;
      }
      hunt_finding f;
      f.kind = "unowned_namespace";
      f.severity = "medium";
      f.summary = "net namespace " + std::to_string(n.inode) +
                  " has no process and no engine container, held by " + n.mounts.front();
      f.namespace_kind = "net";
      f.namespace_inode = n.inode;
      describe_netns(f);
      add(std::move(f));
    }
  }

  void build_groups() {
    std::map<std::pair<namespace_ids, std::string>, process_group> groups;
    for (const auto& p : procs) {
      auto& g = groups[{p.ns, p.cgroup}];
      g.ns = p.ns;
      g.cgroup = p.cgroup;
      if (known(p)) {
        g.container_id = p.cgroup_container_id;
        g.container_name = name_of(p.cgroup_container_id);
      }
      g.pids.push_back(p.pid);
      g.comms.push_back(p.comm);
    }
    for (auto& [key, g] : groups) r.groups.push_back(std::move(g));
  }

  void build_network_namespaces(engine::client& engine, const hunt_options& options,
                                const std::vector<engine::container>* containers) {
    std::map<std::uint64_t, network_namespace> by_inode;
    for (const auto& p : procs) {
      const std::uint64_t inode = p.ns.inode[net_kind];
      if (inode == 0) continue;
      auto& n = by_inode[inode];
      n.inode = inode;
      n.pids.push_back(p.pid);
      if (known(p) && std::find(n.containers.begin(), n.containers.end(), p.cgroup_container_id) ==
                          n.containers.end()) {
        n.containers.push_back(p.cgroup_container_id);
      }
    }
    for (const auto& m : detail::mounted_network_namespaces(options.netns_dirs, r.warnings)) {
      auto& n = by_inode[m.inode];
      n.inode = m.inode;
      n.mounts.push_back(m.path);
    }
    std::vector<std::string> paths;
    std::vector<std::uint64_t> order;
    for (auto& [inode, n] : by_inode) {
      if (is_host(net_kind, inode)) {
        n.error = "the host's own namespace: its links are the host's";
        continue;
      }
      paths.push_back(n.mounts.empty() ? proc::pid_path(n.pids.front(), "ns/net") : n.mounts[0]);
      order.push_back(inode);
    }
    const auto read = net::interfaces_of_namespaces(paths, &engine, containers);
    for (std::size_t k = 0; k < read.size(); ++k) {
      auto& n = by_inode[order[k]];
      n.interfaces_read = read[k].read;
      n.error = read[k].error;
      n.interfaces = read[k].interfaces;
    }
    for (auto& [inode, n] : by_inode) r.network_namespaces.push_back(std::move(n));
  }
};

int rank(const std::string& severity) {
  return severity == "high" ? 0 : severity == "medium" ? 1 : 2;
}

}  // namespace

std::uint64_t namespace_ids::of(std::string_view kind) const noexcept {
  for (std::size_t k = 0; k < std::size(namespace_kinds); ++k) {
    if (namespace_kinds[k] == kind) return inode[k];
  }
  return 0;
}

hunt_report hunt_host(engine::client& engine, const hunt_options& options) {
  const auto& where = engine.where();
  if (where.kind != engine::endpoint::transport::unix_socket) {
    throw error(errc::invalid_argument,
                "the engine is at " + where.to_string() +
                    ": its containers run on another kernel than this host's, which is the one "
                    "ir-hunt reads; run it on the engine's host");
  }
  hunt_report r;
  r.hunted_at = io::rfc3339_now();
  r.engine = where.to_string();
  const auto containers =
      engine::list_containers(engine, {.all = true, .inspect = true, .filters = {}});
  r.host = detail::host_namespaces();
  reconciler rec{r};
  rec.procs = detail::read_processes();
  r.process_count = rec.procs.size();
  r.container_count = containers.size();
  for (const auto& c : containers) rec.by_id[c.id] = &c;
  rec.check_engine_pids();
  rec.collect_owners();
  rec.build_network_namespaces(engine, options, &containers);
  rec.build_groups();
  rec.report_nested();
  rec.report_outsiders();
  rec.report_mounted_only();
  std::stable_sort(r.findings.begin(), r.findings.end(),
                   [](const hunt_finding& a, const hunt_finding& b) {
                     return rank(a.severity) < rank(b.severity);
                   });
  return r;
}

}  // namespace forensic::hunt
