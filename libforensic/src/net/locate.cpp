// ir-locate's engine: one /proc pass, then the addresses and socket tables of every namespace
// and the conntrack table, read concurrently and matched against one address; the Docker
// engine is asked only to name the containers found (its full list only when the kernel could
// not attribute every namespace).
#include "forensic/net/locate.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <future>
#include <map>
#include <set>

#include "forensic/engine/client.hpp"
#include "forensic/engine/containers.hpp"
#include "forensic/error.hpp"
#include "forensic/io/time.hpp"
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
  std::uint64_t netns = 0;  // the namespace it was read in; 0 when from the engine
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
  std::vector<std::uint64_t> inodes;
  for (const auto& [inode, info] : spaces) {
    if (inode == host_netns || info.container_id.empty()) continue;
    if (auto addresses = detail::namespace_addresses(info.pids.front(), family)) {
      for (const auto& a : *addresses) {
        auto& o = out[io::canonical(a)];
        if (o.id.empty()) o = {info.container_id, {}, {}, inode};
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
    inodes.push_back(inode);
  }
  auto sockets = detail::open_in_namespaces(raw, warnings);
  for (std::size_t k = 0; k < sockets.size(); ++k) {
    if (!sockets[k]) continue;
    try {
      for (const auto& link : sockets[k]->interfaces()) {
        for (const auto& a : link.addresses) {
          auto& o = out[io::canonical(a.address)];
          if (o.id.empty()) o = {infos[k]->container_id, {}, {}, inodes[k]};
        }
      }
    } catch (const forensic::error& e) {
      warnings.push_back(std::string("namespace query failed: ") + e.what());
    }
  }
}

std::string who(const locate_match& m) {
  if (!m.container_name.empty() && !m.shares_namespace.empty()) {
    std::string with;
    for (const auto& c : m.shares_namespace) {
      with += (with.empty() ? "" : ", ") + (c.name.empty() ? c.id.substr(0, 12) : c.name);
    }
    return m.container_name + " (its network namespace shared with " + with + ")";
  }
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
  bool host_address = false;  // ADDR is the host's own (loopback included)
  bool loopback = false;
  std::vector<docker_proxy> proxies;  // read only for the host's own addresses
  // Every container whose processes live in a namespace, for the namespaces implicated (the
  // host's when ADDR is its own): the holder and whoever shares it (--network container:X,
  // --network host).
  std::map<std::uint64_t, std::set<std::string>> members;
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
  const auto& a = address.unmapped();
  k.loopback = a.family == AF_INET
                   ? a.bytes[0] == 127
                   : a.bytes == decltype(a.bytes){0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  k.host_address = k.loopback;
  if (!k.host_address) {
    if (auto own = detail::namespace_addresses(::getpid(), family)) {
      for (const auto& mine : *own) k.host_address = k.host_address || io::same_host(mine, a);
    }
  }
  auto addresses = std::async(std::launch::async, [&k, family] {
    kernel_addresses(k.spaces, k.host_netns, family, k.owners, k.owner_warnings);
  });
  k.sockets = detail::matching_sockets(k.spaces, address, options.port,
                                       {k.host_netns, k.host_address, k.loopback});
  if (k.host_address) k.proxies = docker_proxies();
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
  // --nat-port names one flow: the sockets kept are that flow's, not every one with ADDR.
  if (options.nat_port) {
    socket_list kept;
    for (auto& entry : k.sockets) {
      for (const auto& f : k.flows) {
        if (detail::socket_for_flow({entry}, f)) {
          kept.push_back(std::move(entry));
          break;
        }
      }
    }
    k.sockets = std::move(kept);
  }
  return k;
}

// The containers whose processes are in a namespace (cgroups of all its processes).
std::set<std::string> containers_of(const namespace_info& info) {
  std::set<std::string> ids;
  for (int pid : info.pids) {
    if (auto text = proc::read_file(proc::pid_path(pid, "cgroup"), 65536)) {
      if (auto id = proc::container_id_from_cgroup(*text); !id.empty()) ids.insert(id);
    }
  }
  return ids;
}

bool wildcard_or(const std::string& host_ip, const io::ip_address& address) {
  if (host_ip.empty()) return true;
  const auto ip = io::parse_ip(host_ip);
  if (!ip || ip->unmapped().family != address.unmapped().family) return false;
  const auto& b = ip->unmapped();
  bool any = true;
  for (std::size_t i = 0; i < b.size(); ++i) any = any && b.bytes[i] == 0;
  return any || io::same_host(*ip, address);
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
  // address and an end of the flow, that container whatever its peer.
  owner_map::const_iterator flow_owner(const detail::flow_match& f) const {
    auto it = k_.owners.find(io::canonical(f.inside_address));
    // ADDR a container's own address: a flow it opened, or one that reached it (from a host
    // process, docker-proxy, another container), is that container's.
    if (it == k_.owners.end() &&
        (io::same_host(f.flow.src, address_) || io::same_host(f.flow.dst, address_))) {
      it = k_.owners.find(wanted_);
    }
    if (it == k_.owners.end()) {
      if (const auto* p = proxy_for(f)) it = k_.owners.find(io::canonical(p->container_ip));
    }
    return it;
  }

  // The docker-proxy forwarding a flow to ADDR:PORT (ADDR the host's own, no DNAT).
  const docker_proxy* proxy_for(const detail::flow_match& f) const {
    if (!k_.host_address || !f.outbound || f.addr_is_nat) return nullptr;
    return proxy_on(f.flow.protocol, f.flow.dport);
  }

  const docker_proxy* proxy_on(const std::string& protocol, std::uint16_t port) const {
    for (const auto& p : k_.proxies) {
      if (p.protocol == protocol && p.host_port == port && wildcard_or(p.host_ip, address_)) {
        return &p;
      }
    }
    return nullptr;
  }

  // docker-proxies publishing ADDR (the host's own), narrowed by --port / --nat-port.
  std::vector<const docker_proxy*> publishing(const locate_options& o) const {
    std::vector<const docker_proxy*> out;
    for (const auto& p : k_.proxies) {
      if (!wildcard_or(p.host_ip, address_)) continue;
      if ((o.port && p.host_port != *o.port && p.container_port != *o.port) ||
          (o.nat_port && p.host_port != *o.nat_port)) {
        continue;
      }
      out.push_back(&p);
    }
    return out;
  }

  // The namespace a container's address was read in (or, from the engine, the one its
  // processes are in).
  std::uint64_t netns_of(const address_owner& o) const {
    if (o.netns) return o.netns;
    for (const auto& [inode, info] : k_.spaces) {
      if (info.container_id == o.id) return inode;
    }
    for (const auto& [inode, ids] : k_.members) {
      if (ids.count(o.id)) return inode;
    }
    return 0;
  }

  // The containers the kernel implicated (an owner, a socket holder, a flow's inside end, a
  // publishing proxy's target), and every container sharing their namespaces.
  std::set<std::string> implicated() const {
    std::set<std::string> ids;
    std::set<std::uint64_t> spaces;
    const auto add = [&](const address_owner& o) {
      ids.insert(o.id);
      spaces.insert(netns_of(o));
    };
    if (auto it = k_.owners.find(wanted_); it != k_.owners.end()) add(it->second);
    for (const auto& [s, inode] : k_.sockets) {
      ids.insert(socket_container(s, inode));
      spaces.insert(inode);
    }
    for (const auto& f : k_.flows) {
      if (auto it = flow_owner(f); it != k_.owners.end()) add(it->second);
    }
    for (const auto& p : k_.proxies) {
      if (auto it = k_.owners.find(io::canonical(p.container_ip)); it != k_.owners.end()) {
        add(it->second);
      }
    }
    if (k_.host_address) spaces.insert(k_.host_netns);
    spaces.erase(0);
    for (auto inode : spaces) {
      auto info = k_.spaces.find(inode);
      if (info == k_.spaces.end()) continue;
      auto& members = k_.members[inode];
      members = containers_of(info->second);
      ids.insert(members.begin(), members.end());
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
  const auto ids = who_is.implicated();  // also learns who shares each namespace
  if (k.complete) return name_containers(engine, ids, negotiated.get());
  engine_snapshot snap;
  if (const auto failure = negotiated.get(); !failure.empty()) {
    snap.failure = failure;
    return snap;
  }
  snap = detail::take_snapshot(engine, false, false);
  for (auto& [address, owner] : engine_addresses(snap)) {
    // The namespace the kernel found the address in stays known (who shares it hangs on it).
    auto& o = k.owners[address];
    const std::uint64_t netns = o.netns;
    o = owner;
    o.netns = netns;
  }
  return snap;
}

// What conntrack's timeout for a flow of this protocol and state is set to (seconds), from
// /proc/sys/net/netfilter; 0 when unknown.
std::uint32_t full_timeout(const conntrack_flow& f) {
  std::string name = "generic";
  if (f.protocol == "tcp" && !f.state.empty()) {
    name = "tcp_timeout_";
    for (char c : f.state) name += static_cast<char>(c == ' ' ? '_' : std::tolower(c));
    if (name == "tcp_timeout_none") return 0;
  } else if (f.protocol == "udp") {
    name = f.assured ? "udp_timeout_stream" : "udp_timeout";
  } else if (f.protocol == "icmp" || f.protocol == "icmpv6") {
    name = f.protocol + "_timeout";
  }
  static std::map<std::string, std::uint32_t> cache;
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  std::uint32_t value = 0;
  if (auto text = proc::read_file("/proc/sys/net/netfilter/nf_conntrack_" + name, 64)) {
    value = static_cast<std::uint32_t>(std::strtoul(text->c_str(), nullptr, 10));
  }
  return cache[name] = value;
}

// The matches, in the order the responder reads them: the owner of ADDR, what publishes it,
// live sockets to it, conntrack flows with it.
class match_writer {
 public:
  match_writer(const kernel_view& k, const attribution& who_is, const engine_snapshot& snap,
               const locate_options& options, locate_result& r)
      : k_(k), who_is_(who_is), snap_(snap), options_(options), r_(r) {}

  void owner() {
    auto it = k_.owners.find(who_is_.wanted());
    if (it == k_.owners.end()) {
      // The host's own address: the question is about the host and every host-network
      // container; asked with a port, the sockets and flows below are the answer.
      if (!k_.host_address || options_.port || options_.nat_port) return;
      locate_match m;
      m.kind = "owner";
      m.namespace_note = "host namespace";
      m.container_address = who_is_.wanted();
      add_sharers(m, k_.host_netns);
      std::string names;
      for (const auto& c : m.shares_namespace) {
        names += (names.empty() ? "" : ", ") + (c.name.empty() ? c.id.substr(0, 12) : c.name);
      }
      m.summary = "this host has the address " + who_is_.wanted() +
                  (k_.loopback ? " (loopback)" : "") + " in its own network namespace" +
                  (names.empty() ? "; no host-network container runs"
                                 : "; host-network containers: " + names);
      r_.matches.push_back(std::move(m));
      return;
    }
    locate_match m;
    m.kind = "owner";
    name(m, it->second, it->first);
    m.container_address = it->first;
    add_sharers(m, who_is_.netns_of(it->second));
    m.summary = who(m) + " has the address " + it->first +
                (m.network.empty() ? "" : " on network " + m.network);
    r_.matches.push_back(std::move(m));
  }

  void publishes() {
    for (const auto* p : who_is_.publishing(options_)) {
      locate_match m;
      m.kind = "publish";
      m.proxy = *p;
      m.container_address = p->container_ip;
      const auto it = k_.owners.find(io::canonical(p->container_ip));
      if (it != k_.owners.end()) {
        name(m, it->second, it->first);
        add_sharers(m, who_is_.netns_of(it->second));
      } else {
        m.namespace_note = "no running container has " + p->container_ip;
      }
      m.summary = who(m) + ": published on " + endpoint_text(p->host_ip, p->host_port) + " -> " +
                  endpoint_text(p->container_ip, p->container_port) + " (" + p->protocol +
                  ") by docker-proxy pid " + std::to_string(p->process.pid);
      r_.matches.push_back(std::move(m));
    }
  }

  void sockets() {
    for (const auto& [s, inode] : k_.sockets) {
      locate_match m;
      m.kind = "socket";
      m.socket = s;
      m.container_id = who_is_.socket_container(s, inode);
      m.container_address = s.local_address;
      std::string through;
      if (m.container_id.empty() && inode == k_.host_netns && s.owner.comm == "docker-proxy") {
        // The proxy's own socket: the container is the one it forwards to.
        const auto* p = who_is_.proxy_on(s.protocol, s.local_port);
        if (p && p->process.pid == s.owner.pid) {
          m.proxy = *p;
          if (auto it = k_.owners.find(io::canonical(p->container_ip)); it != k_.owners.end()) {
            m.container_id = it->second.id;
            m.container_address = p->container_ip;
            through =
                " through docker-proxy to " + endpoint_text(p->container_ip, p->container_port);
          }
        }
      }
      m.container_name = name_of(m.container_id);
      if (m.container_id.empty()) {
        m.namespace_note = inode == k_.host_netns
                               ? "host namespace"
                               : "namespace " + std::to_string(inode) + " (not a container)";
      }
      add_sharers(m, through.empty() ? inode : 0, false);
      m.summary = who(m) + ": " + s.protocol + " " + endpoint_text(s.local_address, s.local_port) +
                  " -> " + endpoint_text(s.remote_address, s.remote_port) + " " + s.state +
                  (s.owner.pid ? " pid " + std::to_string(s.owner.pid) + " (" + s.owner.comm + ")"
                               : " (no process holds it)") +
                  (inode == k_.host_netns && !m.container_id.empty() && through.empty()
                       ? " in the host's network namespace"
                       : "") +
                  through;
      r_.matches.push_back(std::move(m));
    }
  }

  void flows() {
    const auto now = std::chrono::system_clock::now();
    std::map<std::string, std::size_t> groups;  // grouping key -> index in r_.matches
    for (const auto& f : k_.flows) {
      locate_match m;
      m.kind = "conntrack";
      m.flow = f.flow;
      m.container_address = f.inside_address;
      const auto it = who_is_.flow_owner(f);
      std::string through;
      if (const auto* p = who_is_.proxy_for(f); p && it != k_.owners.end()) {
        m.proxy = *p;
        through = ", through docker-proxy pid " + std::to_string(p->process.pid) + " to " +
                  endpoint_text(p->container_ip, p->container_port);
      }
      if (it != k_.owners.end()) {
        // Owned through ADDR (see flow_owner): the container's side is ADDR itself.
        if (it->first != io::canonical(f.inside_address)) m.container_address = it->first;
        name(m, it->second, it->first);
        add_sharers(m, who_is_.netns_of(it->second));
        if (f.addr_is_nat && f.outbound) m.socket = inside_socket(f, who_is_.netns_of(it->second));
      } else {
        m.namespace_note = k_.host_address && f.outbound && !f.addr_is_nat
                               ? "a host process (nothing forwards this port to a container)"
                               : "not a container address";
      }
      if (!m.socket) m.socket = detail::socket_for_flow(k_.sockets, f);
      m.summary = who(m) + ": " + detail::describe_flow(f) + through;
      // Identical flows (all but the inside source port, and no live socket of their own) are
      // one line with a count.
      const std::uint32_t full = full_timeout(f.flow);
      const auto last =
          now - std::chrono::seconds(full > f.flow.timeout ? full - f.flow.timeout : 0);
      const std::string seen = io::format_rfc3339(last, io::time_precision::seconds);
      const std::string key = m.container_id + '|' + m.namespace_note + '|' + f.flow.protocol +
                              '|' + f.inside_address + '|' +
                              (f.outbound ? f.flow.dst + ':' + std::to_string(f.flow.dport)
                                          : f.flow.src + '>' + std::to_string(f.inside_port)) +
                              '|' + f.flow.state + '|' + (f.flow.unreplied ? "u" : "r") + '|' +
                              f.flow.reply_dst + '|' +
                              (m.socket ? std::to_string(m.socket->inode) : "-");
      if (full) {
        m.first_seen = m.last_seen = seen;
        m.seen_from = "estimated from the conntrack timeout left";
      }
      if (auto g = groups.find(key); g != groups.end()) {
        auto& kept = r_.matches[g->second];
        ++kept.count;
        if (!seen.empty() && full) {
          if (kept.first_seen.empty() || seen < kept.first_seen) kept.first_seen = seen;
          if (seen > kept.last_seen) kept.last_seen = seen;
        }
        continue;
      }
      groups[key] = r_.matches.size();
      r_.matches.push_back(std::move(m));
    }
    for (const auto& [key, index] : groups) {
      auto& m = r_.matches[index];
      if (m.count < 2) continue;
      m.summary +=
          " (x" + std::to_string(m.count) + " identical flows" +
          (m.first_seen.empty() ? ""
                                : ", first seen " + m.first_seen + ", last seen " + m.last_seen) +
          ")";
    }
  }

 private:
  static std::string endpoint_text(const std::string& address, std::uint16_t port) {
    return (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":" +
           std::to_string(port);
  }

  std::string name_of(const std::string& id) const {
    const auto* c = snap_.find(id);
    return c ? c->name() : std::string();
  }

  void name(locate_match& m, const address_owner& o, const std::string& address) const {
    m.container_id = o.id;
    m.container_name = o.name.empty() ? name_of(o.id) : o.name;
    m.network = !o.network.empty() ? o.network : network_holding(snap_.find(o.id), address);
  }

  // The other containers of namespace `inode` (proven by their processes' cgroups). For a
  // fact about the namespace itself (its address, its flows), the container whose namespace
  // it is holds it: one that joined it with --network container:<holder> is named with it.
  // (A socket stays with the container of the process that holds it.)
  void add_sharers(locate_match& m, std::uint64_t inode, bool namespace_fact = true) const {
    auto it = k_.members.find(inode);
    if (it == k_.members.end()) return;
    for (const auto& id : it->second) {
      if (id != m.container_id) m.shares_namespace.push_back({id, name_of(id)});
    }
    const auto* c = snap_.find(m.container_id);
    if (!namespace_fact || !c || !c->security.network_mode.starts_with("container:")) return;
    const std::string target = c->security.network_mode.substr(10);
    for (auto& other : m.shares_namespace) {
      if (other.id != target && other.name != target) continue;
      std::swap(other.id, m.container_id);
      std::swap(other.name, m.container_name);
      m.network = network_holding(snap_.find(m.container_id), m.container_address);
      break;
    }
  }

  // The socket behind a flow masqueraded to ADDR, read in the namespace of its inside end.
  std::optional<socket_entry> inside_socket(const detail::flow_match& f,
                                            std::uint64_t inode) const {
    auto info = k_.spaces.find(inode);
    const auto src = io::parse_ip(f.flow.src);
    const auto dst = io::parse_ip(f.flow.dst);
    if (info == k_.spaces.end() || info->second.pids.empty() || !src || !dst) return std::nullopt;
    try {
      for (auto& s : namespace_sockets(info->second.pids.front())) {
        if (s.protocol == f.flow.protocol && s.local_port == f.flow.sport &&
            s.remote_port == f.flow.dport && io::same_host(s.local_address, *src) &&
            io::same_host(s.remote_address, *dst)) {
          return s;
        }
      }
    } catch (const forensic::error&) {
      // The namespace went away: the flow stands without its socket.
    }
    return std::nullopt;
  }

  const kernel_view& k_;
  const attribution& who_is_;
  const engine_snapshot& snap_;
  const locate_options& options_;
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
  if (!r.address.zone.empty()) {
    r.warnings.push_back("the zone %" + r.address.zone +
                         " is kept in the answer, but sockets and conntrack flows do not record "
                         "their link: " +
                         r.address.to_string() + " is matched on every link");
  }
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
  r.host_address = kernel.host_address;
  match_writer matches(kernel, who_is, snap, options, r);
  matches.owner();
  matches.publishes();
  matches.sockets();
  matches.flows();
  r.elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return r;
}

}  // namespace forensic::net
