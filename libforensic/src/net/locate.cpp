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
#include "proc/proc_files.hpp"

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
      if (!a.ipv4.empty()) out[io::canonical(a.ipv4)] = {c.id, c.name(), a.name};
      if (!a.ipv6.empty()) out[io::canonical(a.ipv6)] = {c.id, c.name(), a.name};
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
        auto& o = out[io::canonical(a)];
        if (o.id.empty()) o.id = info.container_id;
      }
      continue;
    }
    io::unique_fd fd = proc::open_netns(info.pids.front());
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
          auto& o = out[io::canonical(a.address)];
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
    if ((!n.ipv4.empty() && io::canonical(n.ipv4) == address) ||
        (!n.ipv6.empty() && io::canonical(n.ipv6) == address)) {
      return n.name;
    }
  }
  return {};
}

using socket_list = std::vector<std::pair<socket_entry, std::uint64_t>>;
using owner_map = std::map<std::string, address_owner>;

// Every network namespace with its processes. Cgroups are read only in other namespaces than
// the host's, until one names a container: most processes of a host live in its own namespace.
std::map<std::uint64_t, namespace_info> namespaces_of_processes(std::uint64_t host_netns) {
  std::map<std::uint64_t, namespace_info> spaces;
  for (const auto& p : proc::scan_processes(false)) {
    if (p.netns == 0) continue;
    auto& info = spaces[p.netns];
    info.pids.push_back(p.pid);
    if (info.container_id.empty() && p.netns != host_netns) {
      if (auto text = proc::read_file(proc::pid_path(p.pid, "cgroup"), 65536)) {
        info.container_id = proc::container_id_from_cgroup(*text);
      }
    }
  }
  return spaces;
}

// What the kernel says, gathered while the engine is asked nothing yet.
struct kernel_view {
  std::uint64_t host_netns = 0;
  std::map<std::uint64_t, namespace_info> spaces;
  owner_map owners;  // container address -> container, from the namespaces' own addresses
  std::vector<std::string> owner_warnings;
  socket_list sockets;  // sockets whose remote end is ADDR, with their namespace inode
  std::vector<detail::flow_match> flows;
  // Every namespace other than the host's was read and named a container: the engine is then
  // asked only about the containers found, not for its whole list.
  bool complete = false;
};

// Kernel first: every container namespace's addresses of ADDR's family while the socket tables
// are read, and the conntrack table (already being dumped by `conntrack`) matched to ADDR.
kernel_view read_kernel(const locate_options& options, const io::ip_address& address,
                        std::future<conntrack_table>& conntrack, locate_result& r) {
  kernel_view k;
  k.host_netns = proc::own_netns_inode();
  k.spaces = namespaces_of_processes(k.host_netns);
  const int family = address.unmapped().family;
  auto addresses = std::async(std::launch::async, [&k, family] {
    kernel_addresses(k.spaces, k.host_netns, family, k.owners, k.owner_warnings);
  });
  k.sockets = detail::matching_sockets(k.spaces, address, options.port);
  addresses.get();
  // A namespace that is not the host's yet names no container (a cgroup layout we do not
  // parse, a runtime of its own) or could not be entered: only the engine's full list can say
  // whose addresses those are.
  k.complete = k.owner_warnings.empty();
  for (const auto& [inode, info] : k.spaces) {
    if (inode != k.host_netns && info.container_id.empty()) k.complete = false;
  }
  try {
    const auto table = conntrack.get();
    r.conntrack_source = table.source;
    r.warnings.insert(r.warnings.end(), table.warnings.begin(), table.warnings.end());
    k.flows = detail::matching_flows(table.flows, address, options);
  } catch (const forensic::error& e) {
    r.warnings.push_back(std::string("conntrack not read: ") + e.what());
  }
  return k;
}

// Who is behind each kernel fact, and how to name them.
class attribution {
 public:
  attribution(kernel_view& k, const io::ip_address& address)
      : k_(k), address_(address), wanted_(address.unmapped().to_string()) {}

  const std::string& wanted() const { return wanted_; }

  // Whose socket: the cgroup of the process holding it, else its namespace's container.
  std::string socket_container(const socket_entry& s, std::uint64_t inode) const {
    if (!s.owner.container_id.empty()) return s.owner.container_id;
    auto it = k_.spaces.find(inode);
    return it != k_.spaces.end() ? it->second.container_id : std::string();
  }

  // Whose flow: the container with its inside address or, when ADDR is itself a container's
  // address and opened the flow (it is the original source), that container whatever its peer.
  owner_map::const_iterator flow_owner(const detail::flow_match& f) const {
    auto it = k_.owners.find(io::canonical(f.inside_address));
    if (it == k_.owners.end() && io::same_host(f.flow.src, address_)) it = k_.owners.find(wanted_);
    return it;
  }

  // The containers the kernel implicated (an owner, a socket holder, a flow's inside end).
  std::set<std::string> implicated() const {
    std::set<std::string> ids;
    if (auto it = k_.owners.find(wanted_); it != k_.owners.end()) ids.insert(it->second.id);
    for (const auto& [s, inode] : k_.sockets) ids.insert(socket_container(s, inode));
    for (const auto& f : k_.flows) {
      if (auto it = flow_owner(f); it != k_.owners.end()) ids.insert(it->second.id);
    }
    ids.erase(std::string());
    return ids;
  }

 private:
  kernel_view& k_;
  const io::ip_address& address_;
  std::string wanted_;
};

// The engine's names for what the kernel found: an inspect of each implicated container when
// the kernel attributed every namespace, else the full list (whose addresses then override the
// kernel's, the engine being authoritative where it has them).
engine_snapshot ask_engine(engine::client* engine, kernel_view& k, const attribution& who_is,
                           std::future<std::string>& negotiated) {
  if (k.complete) return name_containers(engine, who_is.implicated(), negotiated.get());
  engine_snapshot snap;
  if (const auto failure = negotiated.get(); !failure.empty()) {
    snap.failure = failure;
    return snap;
  }
  snap = detail::take_snapshot(engine, false, false);
  for (auto& [address, owner] : engine_addresses(snap)) k.owners[address] = owner;
  return snap;
}

// The matches, in the order the responder reads them: the owner of ADDR, live sockets to it,
// conntrack flows with it.
class match_writer {
 public:
  match_writer(const kernel_view& k, const attribution& who_is, const engine_snapshot& snap,
               locate_result& r)
      : k_(k), who_is_(who_is), snap_(snap), r_(r) {}

  void owner() {
    auto it = k_.owners.find(who_is_.wanted());
    if (it == k_.owners.end()) return;
    locate_match m;
    m.kind = "owner";
    name(m, it->second, it->first);
    m.container_address = it->first;
    m.summary = who(m) + " has the address " + it->first +
                (m.network.empty() ? "" : " on network " + m.network);
    r_.matches.push_back(std::move(m));
  }

  void sockets() {
    for (const auto& [s, inode] : k_.sockets) {
      locate_match m;
      m.kind = "socket";
      m.socket = s;
      m.container_id = who_is_.socket_container(s, inode);
      m.container_name = name_of(m.container_id);
      if (m.container_id.empty()) {
        m.namespace_note = inode == k_.host_netns
                               ? "host namespace"
                               : "namespace " + std::to_string(inode) + " (not a container)";
      }
      m.container_address = s.local_address;
      m.summary = who(m) + ": " + s.protocol + " " + s.local_address + ":" +
                  std::to_string(s.local_port) + " -> " + s.remote_address + ":" +
                  std::to_string(s.remote_port) + " " + s.state +
                  (s.owner.pid ? " pid " + std::to_string(s.owner.pid) + " (" + s.owner.comm + ")"
                               : " (no process holds it)");
      r_.matches.push_back(std::move(m));
    }
  }

  void flows() {
    for (const auto& f : k_.flows) {
      locate_match m;
      m.kind = "conntrack";
      m.flow = f.flow;
      m.container_address = f.inside_address;
      const auto it = who_is_.flow_owner(f);
      if (it != k_.owners.end()) {
        // Owned through ADDR (see flow_owner): the container's side is ADDR itself.
        if (it->first != io::canonical(f.inside_address)) m.container_address = it->first;
        name(m, it->second, it->first);
      } else {
        m.namespace_note = "not a container address";
      }
      m.socket = detail::socket_for_flow(k_.sockets, f);
      m.summary = who(m) + ": " + detail::describe_flow(f);
      r_.matches.push_back(std::move(m));
    }
  }

 private:
  std::string name_of(const std::string& id) const {
    const auto* c = snap_.find(id);
    return c ? c->name() : std::string();
  }

  void name(locate_match& m, const address_owner& o, const std::string& address) const {
    m.container_id = o.id;
    m.container_name = o.name.empty() ? name_of(o.id) : o.name;
    m.network = !o.network.empty() ? o.network : network_holding(snap_.find(o.id), address);
  }

  const kernel_view& k_;
  const attribution& who_is_;
  const engine_snapshot& snap_;
  locate_result& r_;
};

}  // namespace

locate_result locate(engine::client* engine, const locate_options& options) {
  const auto started = std::chrono::steady_clock::now();
  auto parsed = io::parse_ip(options.address);
  if (!parsed) {
    throw error(errc::invalid_argument, "'" + options.address + "' is not an IPv4 or IPv6 address");
  }
  locate_result r;
  r.address = *parsed;
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

  kernel_view kernel = read_kernel(options, r.address, conntrack, r);
  const attribution who_is(kernel, r.address);
  const engine_snapshot snap = ask_engine(engine, kernel, who_is, negotiated);
  r.warnings.insert(r.warnings.end(), kernel.owner_warnings.begin(), kernel.owner_warnings.end());
  r.engine_available = snap.available;
  if (!snap.available) {
    r.warnings.push_back("engine unavailable (" + snap.failure +
                         "): containers are named by their cgroup id; names are unknown");
  }
  match_writer matches(kernel, who_is, snap, r);
  matches.owner();
  matches.sockets();
  matches.flows();
  r.elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return r;
}

}  // namespace forensic::net
