// ir-locate --capture: every bridge and veth at once, counting packets per interface.
#include <net/if.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>

#include "forensic/capture/session.hpp"
#include "forensic/error.hpp"
#include "forensic/net/links.hpp"
#include "forensic/net/locate.hpp"

namespace forensic::net {
namespace {

// The ports of a host bridge, from sysfs: container veths, for a Docker bridge.
std::vector<std::string> ports_of(const std::string& bridge) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator("/sys/class/net/" + bridge + "/brif", ec)) {
    out.push_back(e.path().filename().string());
  }
  return out;
}

}  // namespace

std::vector<locate_match> capture_address(engine::client* engine, const locate_options& options,
                                          std::chrono::milliseconds duration,
                                          const std::atomic<bool>* stop_flag) {
  auto address = io::parse_ip(options.address);
  if (!address) {
    throw error(errc::invalid_argument, "'" + options.address + "' is not an IPv4 or IPv6 address");
  }
  // Where the traffic of containers passes, from the host alone: every Docker bridge and its
  // ports (the containers' veths). The capture starts at once; which container owns each veth
  // is mapped while it runs (map_links takes most of a second with hundreds of containers).
  capture::capture_options o;
  std::vector<int> indexes;  // per interface, at start: a veth is attributed only if unchanged
  for (const auto& b : docker_bridges(engine)) {
    o.interfaces.push_back({b, "bridge " + b});
    for (auto& port : ports_of(b)) o.interfaces.push_back({std::move(port), "port of " + b});
  }
  for (const auto& i : o.interfaces)
    indexes.push_back(static_cast<int>(::if_nametoindex(i.name.c_str())));
  if (o.interfaces.empty()) throw error(errc::not_found, "no Docker bridge or veth to capture on");
  std::vector<int> ports;
  if (options.port) ports.push_back(*options.port);
  o.bpf_filter = capture::build_filter("", {address->to_string()}, ports);
  o.duration = duration;
  o.stop_flag = stop_flag;
  o.skip_missing = true;     // a container stopping meanwhile takes its veth with it
  o.buffer_bytes = 2 << 20;  // one shared ring; little traffic matches one address
  // Blocks handed over sooner: the end of the capture waits for the last one.
  o.batch_timeout = std::chrono::milliseconds(20);
  auto counts = std::make_shared<std::vector<std::atomic<std::uint64_t>>>(o.interfaces.size());
  o.on_packet = [counts](const capture::packet_view& p) {
    if (p.interface_index < counts->size()) (*counts)[p.interface_index]++;
  };
  capture::capture_session session(o);
  session.start();
  link_map links;
  try {
    links = map_links(engine);
  } catch (...) {
    session.stop();
    throw;
  }
  session.wait();

  std::map<std::string, const container_links*> owners;  // host veth -> its container
  std::map<std::string, int> owner_index;
  for (const auto& c : links.containers) {
    if (!c.shares_namespace_with.empty()) continue;  // the owner of the namespace lists them
    for (const auto& i : c.interfaces) {
      if (!i.host_veth) continue;
      owners[i.host_veth->name] = &c;
      owner_index[i.host_veth->name] = i.host_veth->ifindex;
    }
  }
  std::vector<locate_match> out;
  for (std::size_t k = 0; k < o.interfaces.size(); ++k) {
    const std::uint64_t n = (*counts)[k].load();
    if (n == 0) continue;
    locate_match m;
    m.kind = "packet";
    m.interface = o.interfaces[k].name;
    m.packets = n;
    if (auto it = owners.find(m.interface);
        it != owners.end() && owner_index[m.interface] == indexes[k]) {
      const auto* c = it->second;
      m.container_id = c->container_id;
      m.container_name = c->container_name;
      // Containers that joined its namespace (--network container:<it>) send through it too.
      for (const auto& other : links.containers) {
        if (!c->container_id.empty() && other.shares_namespace_with == c->container_id) {
          m.shares_namespace.push_back({other.container_id, other.container_name});
        }
      }
    }
    m.summary = std::to_string(n) + " packet(s) to/from " + address->to_string() + " on " +
                m.interface +
                (m.container_name.empty() ? "" : " (host veth of " + m.container_name + ")");
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace forensic::net
