// The link map: engine snapshot, one /proc pass, one host link dump, one small dump per
// container namespace, joined by ifindex and nsid.
#include "forensic/net/links.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <map>
#include <set>
#include <unordered_map>

#include "forensic/engine/client.hpp"
#include "forensic/engine/containers.hpp"
#include "forensic/error.hpp"
#include "forensic/io/unique_fd.hpp"
#include "net/engine_view.hpp"
#include "net/links_join.hpp"
#include "net/netlink.hpp"
#include "proc/proc_files.hpp"

namespace forensic::net {
namespace {

using detail::engine_snapshot;

bool has_process(const engine::container& c) {
  return c.pid > 0 && (c.state == "running" || c.state == "paused" || c.state == "restarting");
}

// Ids and names of the engine's containers -> full id, built once: a pod's containers all
// share one namespace ("container:<id>"), and scanning the list for each was quadratic.
class container_names {
 public:
  explicit container_names(const engine_snapshot& snap) : snap_(snap) {
    for (const auto& c : snap.containers) {
      exact_.emplace(c.id, &c.id);  // the first container with that id or name wins, as it did
      for (const auto& n : c.names) exact_.emplace(n, &c.id);
    }
  }

  // "container:<name or id>" -> the full id of that container, when the engine knows it.
  std::string shared_with(const std::string& mode) const {
    const std::string ref = mode.substr(std::strlen("container:"));
    if (auto it = exact_.find(ref); it != exact_.end()) return *it->second;
    for (const auto& c : snap_.containers) {  // a short id: rare, the engine stores full ones
      if (!ref.empty() && c.id.starts_with(ref)) return c.id;
    }
    return ref;
  }

 private:
  const engine_snapshot& snap_;
  std::unordered_map<std::string, const std::string*> exact_;
};

container_links from_engine(const engine::container& c, const container_names& names) {
  container_links l;
  l.container_id = c.id;
  l.container_name = c.name();
  const std::string& mode = c.security.network_mode;
  if (!has_process(c)) {
    l.network_mode = "stopped";
    return l;
  }
  l.pid = c.pid;
  if (mode.starts_with("container:")) {
    l.shares_namespace_with = names.shared_with(mode);
    l.network_mode = "container:" + l.shares_namespace_with;
  } else if (mode == "host" || mode == "none") {
    l.network_mode = mode;
  } else {
    l.network_mode = "private";
  }
  return l;
}

// Containers the engine does not report (engine down, or record gone) whose processes still
// run: one entry per container id found in cgroups, its lowest pid standing for it.
void add_unknown(link_map& m, const std::vector<proc::pid_entry>& procs) {
  std::set<std::string> known;
  for (const auto& c : m.containers) known.insert(c.container_id);
  std::map<std::string, const proc::pid_entry*> first;
  for (const auto& p : procs) {
    if (p.container_id.empty() || known.count(p.container_id) || p.netns == 0) continue;
    auto [it, inserted] = first.emplace(p.container_id, &p);
    if (!inserted && p.pid < it->second->pid) it->second = &p;
  }
  for (const auto& [id, p] : first) {
    container_links l;
    l.container_id = id;  // from the cgroup path; the name is unknown without the engine
    l.pid = p->pid;
    l.network_mode = "private";
    m.containers.push_back(std::move(l));
    if (m.engine_available) {
      m.warnings.push_back("process " + std::to_string(p->pid) + " runs in container " +
                           id.substr(0, 12) + " which the engine does not list (record missing)");
    }
  }
}

// Namespace identity decides what the engine's mode alone cannot: --network host seen from
// the kernel, and which entries share one namespace.
void settle_modes(link_map& m, std::uint64_t host_netns) {
  std::map<std::uint64_t, std::string> owner;  // netns -> first private container id
  for (auto& l : m.containers) {
    if (!l.pid) continue;
    l.netns_inode = proc::netns_inode(l.pid);
    if (l.netns_inode == 0) {
      m.warnings.push_back("process " + std::to_string(l.pid) + " of " +
                           (l.container_name.empty() ? l.container_id : l.container_name) +
                           " vanished while mapping");
      l.network_mode = "stopped";
      l.pid = 0;
      continue;
    }
    if (l.netns_inode == host_netns) {
      l.network_mode = "host";
      l.shares_namespace_with.clear();
    }
  }
  // Owners first (private mode), then the ones sharing without the engine saying so.
  for (const auto& l : m.containers) {
    if (l.pid && l.network_mode == "private") owner.emplace(l.netns_inode, l.container_id);
  }
  for (auto& l : m.containers) {
    if (!l.pid || l.network_mode != "private") continue;
    const std::string& first = owner[l.netns_inode];
    if (first != l.container_id) {
      l.shares_namespace_with = first;
      l.network_mode = "container:" + first;
    }
  }
}

// Docker's bridges: those the engine names, docker0 and br-*, and (engine down) any bridge a
// container's veth is enslaved to.
void describe_bridges(link_map& m, const std::vector<interface_info>& host,
                      const engine_snapshot& snap) {
  std::set<std::string> used;
  for (const auto& c : m.containers) {
    for (const auto& i : c.interfaces) used.insert(i.bridge);
  }
  for (const auto& h : host) {
    if (h.kind != "bridge") continue;
    const auto* net = snap.network_by_bridge(h.name);
    if (!net && h.name != "docker0" && !h.name.starts_with("br-") && !used.count(h.name)) continue;
    bridge_info b;
    b.ifindex = h.ifindex;
    b.name = h.name;
    b.addresses = h.addresses;
    if (net) {
      b.docker_network = net->name;
      b.docker_network_id = net->id;
      b.engine_subnets = net->subnets;
    }
    for (const auto& p : host) {
      if (p.master_ifindex == h.ifindex) b.ports.push_back(p.name);
    }
    m.bridges.push_back(std::move(b));
  }
}

}  // namespace

link_map detail::map_links_with(std::future<engine_snapshot>& pending, engine_snapshot& snap_out) {
  link_map m;
  auto procs = proc::scan_processes(true);
  const std::uint64_t host_netns = proc::own_netns_inode();
  detail::rtnl_socket host_socket;
  const auto host = host_socket.interfaces();
  snap_out = pending.get();
  const engine_snapshot& snap = snap_out;

  m.engine_available = snap.available;
  if (!snap.available) {
    m.warnings.push_back("engine unavailable (" + snap.failure +
                         "): containers found from their namespaces; names are unknown");
  }
  const container_names names(snap);
  m.containers.reserve(snap.containers.size());
  for (const auto& c : snap.containers) m.containers.push_back(from_engine(c, names));
  add_unknown(m, procs);
  settle_modes(m, host_netns);

  // One namespace query per distinct private namespace.
  std::vector<std::uint64_t> inodes;
  std::set<std::uint64_t> seen;
  std::vector<io::unique_fd> fds;
  for (const auto& l : m.containers) {
    if (!l.pid || l.network_mode != "private") continue;
    if (seen.count(l.netns_inode)) continue;
    io::unique_fd fd = proc::open_netns(l.pid);
    if (!fd) {
      m.warnings.push_back("cannot open the namespace of pid " + std::to_string(l.pid) + ": " +
                           std::strerror(errno));
      continue;
    }
    inodes.push_back(l.netns_inode);
    seen.insert(l.netns_inode);
    fds.push_back(std::move(fd));
  }
  std::vector<int> raw_fds;
  for (const auto& fd : fds) raw_fds.push_back(fd.get());
  auto sockets = detail::open_in_namespaces(raw_fds, m.warnings);

  std::map<std::uint64_t, std::vector<container_interface>> joined;
  const detail::join_index host_index(host, snap);
  for (std::size_t k = 0; k < inodes.size(); ++k) {
    if (!sockets[k]) continue;
    try {
      const int nsid = host_socket.nsid_of(raw_fds[k]);
      joined[inodes[k]] = detail::join_namespace(host_index, sockets[k]->interfaces(), nsid);
    } catch (const forensic::error& e) {
      m.warnings.push_back(std::string("namespace query failed: ") + e.what());
    }
  }
  for (auto& l : m.containers) {
    auto it = joined.find(l.netns_inode);
    if (l.pid && l.network_mode != "host" && it != joined.end()) l.interfaces = it->second;
  }
  describe_bridges(m, host, snap);
  return m;
}

link_map map_links(engine::client* engine) {
  // The engine answers while the kernel is read.
  auto pending =
      std::async(std::launch::async, [engine] { return detail::take_snapshot(engine, true); });
  detail::engine_snapshot snap;
  return detail::map_links_with(pending, snap);
}

std::vector<std::string> host_interfaces_of(engine::client& engine, std::string_view reference) {
  const engine::container c = engine::inspect_container(engine, reference);
  const std::string who = "container '" + std::string(reference) + "'";
  if (!has_process(c)) {
    throw error(errc::not_found,
                who + " is not running (" + c.state + "): it has no network interfaces to watch");
  }
  const std::uint64_t host_netns = proc::own_netns_inode();
  const std::uint64_t inode = proc::netns_inode(c.pid);
  if (inode == 0)
    throw error(errc::not_found, who + ": its process " + std::to_string(c.pid) + " is gone");
  if (inode == host_netns || c.security.network_mode == "host") {
    throw error(errc::not_found, who +
                                     " uses --network host: it has no veth of its own; its "
                                     "traffic is on the host's interfaces");
  }
  io::unique_fd fd = proc::open_netns(c.pid);
  if (!fd) throw_errno("open /proc/" + std::to_string(c.pid) + "/ns/net", errno);
  detail::rtnl_socket host_socket;
  const auto host = host_socket.interfaces();
  const int nsid = host_socket.nsid_of(fd.get());
  std::vector<std::string> errors;
  const int raw = fd.get();
  auto sockets = detail::open_in_namespaces(std::span<const int>(&raw, 1), errors);
  if (!sockets[0]) {
    throw error(errc::permission_denied,
                who + ": cannot query its namespace: " + (errors.empty() ? "" : errors.front()));
  }
  std::vector<std::string> out;
  for (const auto& i : detail::join_namespace(host, sockets[0]->interfaces(), nsid, {})) {
    if (i.host_veth) out.push_back(i.host_veth->name);
  }
  if (out.empty()) {
    throw error(errc::not_found,
                who + " has no veth to the host (network mode '" + c.security.network_mode + "')");
  }
  return out;
}

}  // namespace forensic::net
