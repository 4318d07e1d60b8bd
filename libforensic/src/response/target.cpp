// Resolving a container reference into what the quarantine matches: the engine gives the id,
// name, networks and addresses; the network module gives the host veths (from netlink); /proc
// gives the proof of who else lives in the same network namespace.
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "forensic/engine/containers.hpp"
#include "forensic/engine/networks.hpp"
#include "forensic/error.hpp"
#include "forensic/net/links.hpp"
#include "forensic/response/isolator.hpp"
#include "proc/proc_files.hpp"

namespace forensic::response {
namespace {

constexpr std::string_view joins_prefix = "container:";

// The driver of one network (one small inspect each: listing every network of a busy host
// costs far more than the one or two a container is on).
std::string network_driver(engine::client& engine, const std::string& network_id) {
  try {
    const auto doc = engine::inspect_network(engine, network_id);
    return doc.is_object() ? doc.value("Driver", std::string()) : std::string();
  } catch (const error& e) {
    if (e.kind() != errc::not_found) throw;
    return {};
  }
}

// Why the host's firewall does not see some of the container's traffic. Only the bridge
// driver puts the container's end of the link behind a host veth; macvlan/ipvlan leave by the
// parent link below the host's IP stack, overlay through a vxlan namespace of its own, and
// --network host is the host's own traffic.
std::vector<std::string> unfirewalled_paths(engine::client& engine, const engine::container& owner,
                                            bool host_netns) {
  std::vector<std::string> out;
  if (owner.security.network_mode == "host" || host_netns) {
    out.push_back(
        "it uses the host's network namespace (--network host): the firewall cannot "
        "tell its traffic from the host's own");
    return out;
  }
  for (const auto& n : owner.networks) {
    const std::string driver = network_driver(engine, n.network_id);
    if (driver == "bridge" || driver == "null") continue;
    out.push_back("network " + n.name + " uses the " + (driver.empty() ? "unknown" : driver) +
                  " driver: its traffic does not pass through a host veth or the host's firewall");
  }
  return out;
}

// Containers with a process in `netns` (proof: the process's cgroup names the container and
// its ns/net inode is the target's), other than `self`.
std::vector<namespace_sharer> sharers_of(engine::client& engine, std::uint64_t netns,
                                         const std::string& self) {
  std::set<std::string> ids;
  // Namespaces first (one stat per process), cgroups only of the few that share it.
  for (const auto& p : proc::scan_processes(false)) {
    if (p.netns != netns) continue;
    const auto cgroup = proc::read_file(proc::pid_path(p.pid, "cgroup"));
    const std::string id = cgroup ? proc::container_id_from_cgroup(*cgroup) : std::string();
    if (!id.empty() && id != self) ids.insert(id);
  }
  std::vector<namespace_sharer> out;
  if (ids.empty()) return out;
  engine::list_options o;
  o.inspect = false;
  std::map<std::string, std::string> names;
  for (const auto& c : engine::list_containers(engine, o)) names[c.id] = c.name();
  for (const auto& id : ids) {
    auto it = names.find(id);
    out.push_back({id, it == names.end() ? std::string() : it->second});
  }
  return out;
}

}  // namespace

quarantine_target resolve_target(engine::client& engine, std::string_view reference) {
  auto c = engine::inspect_container(engine, reference);
  quarantine_target t;
  t.container_id = c.id;
  t.container_name = c.name();
  t.running = c.state == "running" || c.state == "paused";
  // A container joining another's namespace (--network container:X) has X's links and
  // addresses: those are what the quarantine must match.
  engine::container owner = c;
  if (c.security.network_mode.starts_with(joins_prefix)) {
    owner = engine::inspect_container(engine, c.security.network_mode.substr(joins_prefix.size()));
  }
  for (const auto& n : owner.networks) {
    if (!n.ipv4.empty()) t.addresses.push_back(n.ipv4);
    if (!n.ipv6.empty()) t.addresses.push_back(n.ipv6);
    t.networks.push_back(n.network_id);
  }
  bool host_netns = false;
  if (t.running && c.pid > 0) {
    t.netns_inode = proc::netns_inode(c.pid);
    const auto inet6 = proc::read_file(proc::pid_path(c.pid, "net/if_inet6"));
    t.ipv6 = !inet6 || !inet6->empty();
    host_netns = t.netns_inode != 0 && t.netns_inode == proc::own_netns_inode();
    if (t.netns_inode != 0 && !host_netns) {
      t.sharing_namespace = sharers_of(engine, t.netns_inode, c.id);
    }
    // A dump that links changed under (NLM_F_DUMP_INTR, reported as a netlink error) is
    // asked again: on a busy host veths come and go all the time.
    for (int attempt = 1;; ++attempt) {
      try {
        t.host_veths = net::host_interfaces_of(engine, c.id);
        break;
      } catch (const error& e) {
        // --network host or none: no veth; addresses (if any) still match.
        if (e.kind() == errc::not_found) break;
        if (e.kind() != errc::netlink || attempt == 8) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(10 * attempt));
      }
    }
  }
  t.unfirewalled = unfirewalled_paths(engine, owner, host_netns);
  return t;
}

}  // namespace forensic::response
