// ir-locate's engine: one /proc pass, then the addresses and socket tables of every namespace
// and the conntrack table, read concurrently and matched against one address; the Docker
// engine is asked only to name the containers found (its full list only when the kernel could
// not attribute every namespace).
#include "forensic/net/locate.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <map>
#include <set>

#include "forensic/engine/client.hpp"
#include "forensic/engine/containers.hpp"
#include "forensic/error.hpp"
#include "forensic/io/unique_fd.hpp"
#include "net/engine_view.hpp"
#include "net/local_addresses.hpp"
#include "net/locate_detail.hpp"
#include "net/netlink.hpp"
#include "net/proc_scan.hpp"

namespace forensic::net {
namespace {

using detail::engine_snapshot;
using detail::namespace_info;

struct address_owner {
  std::string id, name, network;
};

// Container addresses as the engine reports them (running containers only carry them).
std::map<std::string, address_owner> engine_addresses(const engine_snapshot& snap) {
  std::map<std::string, address_owner> out;
  for (const auto& c : snap.containers) {
    for (const auto& a : c.networks) {
      if (!a.ipv4.empty()) out[canonical(a.ipv4)] = {c.id, c.name(), a.name};
      if (!a.ipv6.empty()) out[canonical(a.ipv6)] = {c.id, c.name(), a.name};
    }
  }
  return out;
}

// Addresses of container namespaces from the kernel: each namespace's /proc files, or netlink
// from inside it where those cannot be read. A namespace that cannot be read either way leaves
// a warning (and the caller then asks the engine for its whole list).
void kernel_addresses(const std::map<std::uint64_t, namespace_info>& spaces,
                      std::uint64_t host_netns, int family,
                      std::map<std::string, address_owner>& out,
                      std::vector<std::string>& warnings) {
  std::vector<io::unique_fd> fds;
  std::vector<int> raw;
  std::vector<const namespace_info*> infos;
  for (const auto& [inode, info] : spaces) {
    if (inode == host_netns || info.container_id.empty()) continue;
    if (auto addresses = detail::namespace_addresses(info.pids.front(), family)) {
      for (const auto& a : *addresses) {
        auto& o = out[canonical(a)];
        if (o.id.empty()) o.id = info.container_id;
      }
      continue;
    }
    io::unique_fd fd(::open(("/proc/" + std::to_string(info.pids.front()) + "/ns/net").c_str(),
                            O_RDONLY | O_CLOEXEC));
    if (!fd) {
      warnings.push_back("namespace of pid " + std::to_string(info.pids.front()) +
                         " not readable: " + std::strerror(errno));
      continue;
    }
    raw.push_back(fd.get());
    fds.push_back(std::move(fd));
    infos.push_back(&info);
  }
  auto sockets = detail::open_in_namespaces(raw, warnings);
  for (std::size_t k = 0; k < sockets.size(); ++k) {
    if (!sockets[k]) continue;
    try {
      for (const auto& link : sockets[k]->interfaces()) {
        for (const auto& a : link.addresses) {
          auto& o = out[canonical(a.address)];
          if (o.id.empty()) o.id = infos[k]->container_id;
        }
      }
    } catch (const forensic::error& e) {
      warnings.push_back(std::string("namespace query failed: ") + e.what());
    }
  }
}

std::string who(const locate_match& m) {
  if (!m.container_name.empty()) return m.container_name;
  if (!m.container_id.empty())
    return "container " + m.container_id.substr(0, 12) + " (name unknown)";
  return m.namespace_note.empty() ? "host" : m.namespace_note;
}

// The engine's record of just the containers the kernel implicated (one inspect each, in
// parallel), instead of listing every container: the kernel already said which ones matter.
engine_snapshot name_containers(engine::client* engine, const std::set<std::string>& ids,
                                const std::string& earlier_failure) {
  engine_snapshot snap;
  if (!engine) {
    snap.failure = "no engine was asked";
    return snap;
  }
  if (!earlier_failure.empty()) {  // a stalled engine is waited on once, not at every step
    snap.failure = earlier_failure;
    return snap;
  }
  try {
    snap.containers = engine::inspect_containers(*engine, {ids.begin(), ids.end()}, 4);
    snap.available = true;
  } catch (const forensic::error& e) {
    snap.failure = e.what();
  }
  return snap;
}

// The engine network a container holds `address` on, when it reports one.
std::string network_holding(const engine::container* c, const std::string& address) {
  if (!c) return {};
  for (const auto& n : c->networks) {
    if ((!n.ipv4.empty() && canonical(n.ipv4) == address) ||
        (!n.ipv6.empty() && canonical(n.ipv6) == address)) {
      return n.name;
    }
  }
  return {};
}

}  // namespace

locate_result locate(engine::client* engine, const locate_options& options) {
  const auto started = std::chrono::steady_clock::now();
  auto parsed = parse_ip(options.address);
  if (!parsed) {
    throw error(errc::invalid_argument, "'" + options.address + "' is not an IPv4 or IPv6 address");
  }
  locate_result r;
  r.address = *parsed;
  const std::string wanted = r.address.unmapped().to_string();
  auto conntrack = std::async(std::launch::async, [] { return dump_conntrack(); });
  // The engine's API version is negotiated while the kernel is read, so that naming the
  // containers found costs only their inspects. (The client is used by one thread at a time:
  // this future is waited for before its next call.)
  auto negotiated = std::async(std::launch::async, [engine]() -> std::string {
    if (!engine) return {};
    try {
      engine->api_version();
      return {};
    } catch (const forensic::error& e) {
      return e.what();
    }
  });

  // Cgroups are read only in other namespaces than the host's, until one names a container:
  // most processes of a host live in its own namespace.
  const auto procs = detail::scan_processes(false);
  const std::uint64_t host_netns = detail::own_netns_inode();
  std::map<std::uint64_t, namespace_info> spaces;
  for (const auto& p : procs) {
    if (p.netns == 0) continue;
    auto& info = spaces[p.netns];
    info.pids.push_back(p.pid);
    if (info.container_id.empty() && p.netns != host_netns) {
      if (auto text = detail::read_file("/proc/" + std::to_string(p.pid) + "/cgroup", 65536)) {
        info.container_id = detail::container_id_from_cgroup(*text);
      }
    }
  }
  // Kernel first: every container namespace's addresses of ADDR's family while the socket tables
  // are read; the engine is asked afterwards about the containers found, not for its whole list.
  const int family = r.address.unmapped().family;
  auto kernel = std::async(std::launch::async, [&spaces, host_netns, family] {
    std::pair<std::map<std::string, address_owner>, std::vector<std::string>> out;
    kernel_addresses(spaces, host_netns, family, out.first, out.second);
    return out;
  });
  auto sockets = detail::matching_sockets(spaces, r.address, options.port);
  auto kernel_found = kernel.get();
  auto& owners = kernel_found.first;
  const auto& kernel_warnings = kernel_found.second;

  // A namespace that is not the host's yet names no container (a cgroup layout we do not
  // parse, a runtime of its own) or could not be entered: only the engine's full list can say
  // whose addresses those are.
  bool kernel_complete = kernel_warnings.empty();
  for (const auto& [inode, info] : spaces) {
    if (inode != host_netns && info.container_id.empty()) kernel_complete = false;
  }

  std::vector<detail::flow_match> flows;
  try {
    const auto table = conntrack.get();
    r.conntrack_source = table.source;
    r.warnings.insert(r.warnings.end(), table.warnings.begin(), table.warnings.end());
    flows = detail::matching_flows(table.flows, r.address, options);
  } catch (const forensic::error& e) {
    r.warnings.push_back(std::string("conntrack not read: ") + e.what());
  }

  // Whose socket: the cgroup of the process holding it, else its namespace's container.
  auto socket_container = [&](const socket_entry& s, std::uint64_t inode) {
    return !s.owner.container_id.empty() ? s.owner.container_id : spaces[inode].container_id;
  };
  // Whose flow: the container with its inside address or, when ADDR is itself a container's
  // address and opened the flow (it is the original source), that container whatever its peer.
  auto flow_owner = [&](const detail::flow_match& f) {
    auto it = owners.find(canonical(f.inside_address));
    if (it == owners.end() && same_host(f.flow.src, r.address)) it = owners.find(wanted);
    return it;
  };

  engine_snapshot snap;
  if (kernel_complete) {
    std::set<std::string> ids;
    if (auto it = owners.find(wanted); it != owners.end()) ids.insert(it->second.id);
    for (const auto& [s, inode] : sockets) ids.insert(socket_container(s, inode));
    for (const auto& f : flows) {
      if (auto it = flow_owner(f); it != owners.end()) ids.insert(it->second.id);
    }
    ids.erase(std::string());
    snap = name_containers(engine, ids, negotiated.get());
  } else if (const auto failure = negotiated.get(); !failure.empty()) {
    snap.failure = failure;
  } else {
    snap = detail::take_snapshot(engine, false, false);
    // The engine's addresses are authoritative where it has them.
    for (auto& [address, owner] : engine_addresses(snap)) owners[address] = owner;
  }
  r.warnings.insert(r.warnings.end(), kernel_warnings.begin(), kernel_warnings.end());
  r.engine_available = snap.available;
  if (!snap.available) {
    r.warnings.push_back("engine unavailable (" + snap.failure +
                         "): containers are named by their cgroup id; names are unknown");
  }
  auto name_of = [&](const std::string& id) -> std::string {
    const auto* c = snap.find(id);
    return c ? c->name() : std::string();
  };
  auto network_of = [&](const address_owner& o, const std::string& address) {
    return !o.network.empty() ? o.network : network_holding(snap.find(o.id), address);
  };

  // The container owns the address.
  if (auto it = owners.find(wanted); it != owners.end()) {
    locate_match m;
    m.kind = "owner";
    m.container_id = it->second.id;
    m.container_name = it->second.name.empty() ? name_of(it->second.id) : it->second.name;
    m.network = network_of(it->second, it->first);
    m.container_address = it->first;
    m.summary = who(m) + " has the address " + it->first +
                (m.network.empty() ? "" : " on network " + m.network);
    r.matches.push_back(std::move(m));
  }

  // Live sockets.
  for (const auto& [s, inode] : sockets) {
    locate_match m;
    m.kind = "socket";
    m.socket = s;
    m.container_id = socket_container(s, inode);
    m.container_name = name_of(m.container_id);
    if (m.container_id.empty()) {
      m.namespace_note = inode == host_netns
                             ? "host namespace"
                             : "namespace " + std::to_string(inode) + " (not a container)";
    }
    m.container_address = s.local_address;
    m.summary = who(m) + ": " + s.protocol + " " + s.local_address + ":" +
                std::to_string(s.local_port) + " -> " + s.remote_address + ":" +
                std::to_string(s.remote_port) + " " + s.state +
                (s.owner.pid ? " pid " + std::to_string(s.owner.pid) + " (" + s.owner.comm + ")"
                             : " (no process holds it)");
    r.matches.push_back(std::move(m));
  }

  // Conntrack flows.
  for (const auto& f : flows) {
    locate_match m;
    m.kind = "conntrack";
    m.flow = f.flow;
    m.container_address = f.inside_address;
    const auto it = flow_owner(f);
    if (it != owners.end()) {
      // Owned through ADDR (see flow_owner): the container's side is ADDR itself.
      if (it->first != canonical(f.inside_address)) m.container_address = it->first;
      m.container_id = it->second.id;
      m.container_name = it->second.name.empty() ? name_of(it->second.id) : it->second.name;
      m.network = network_of(it->second, it->first);
    } else {
      m.namespace_note = "not a container address";
    }
    m.socket = detail::socket_for_flow(sockets, f);
    m.summary = who(m) + ": " + detail::describe_flow(f);
    r.matches.push_back(std::move(m));
  }
  r.elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return r;
}

}  // namespace forensic::net
