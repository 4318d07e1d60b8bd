// ir-locate --capture: every bridge and veth at once, counting packets per interface.
#include <atomic>
#include <memory>

#include "forensic/capture/session.hpp"
#include "forensic/error.hpp"
#include "forensic/net/links.hpp"
#include "forensic/net/locate.hpp"

namespace forensic::net {
namespace {

std::vector<locate_match> capture_once(engine::client* engine, const io::ip_address& address,
                                       const locate_options& options,
                                       std::chrono::milliseconds duration,
                                       const std::atomic<bool>* stop_flag) {
  const link_map links = map_links(engine);
  capture::capture_options o;
  std::vector<const container_links*> owners;  // per interface: the container of a veth
  for (const auto& b : links.bridges) {
    o.interfaces.push_back({b.name, "bridge of network " + b.docker_network});
    owners.push_back(nullptr);
  }
  for (const auto& c : links.containers) {
    if (!c.shares_namespace_with.empty()) continue;  // the owner of the namespace lists them
    for (const auto& i : c.interfaces) {
      if (!i.host_veth) continue;
      o.interfaces.push_back({i.host_veth->name, "host veth of " + c.container_name});
      owners.push_back(&c);
    }
  }
  if (o.interfaces.empty()) throw error(errc::not_found, "no Docker bridge or veth to capture on");
  std::vector<int> ports;
  if (options.port) ports.push_back(*options.port);
  o.bpf_filter = capture::build_filter("", {address.to_string()}, ports);
  o.duration = duration;
  o.stop_flag = stop_flag;
  o.buffer_bytes = 2 << 20;  // many interfaces, little traffic each
  auto counts = std::make_shared<std::vector<std::atomic<std::uint64_t>>>(o.interfaces.size());
  o.on_packet = [counts](const capture::packet_view& p) {
    if (p.interface_index < counts->size()) (*counts)[p.interface_index]++;
  };
  capture::run_capture(o);

  std::vector<locate_match> out;
  for (std::size_t k = 0; k < o.interfaces.size(); ++k) {
    const std::uint64_t n = (*counts)[k].load();
    if (n == 0) continue;
    locate_match m;
    m.kind = "packet";
    m.interface = o.interfaces[k].name;
    m.packets = n;
    if (const auto* c = owners[k]) {
      m.container_id = c->container_id;
      m.container_name = c->container_name;
      // Containers that joined its namespace (--network container:<it>) send through it too.
      for (const auto& other : links.containers) {
        if (!c->container_id.empty() && other.shares_namespace_with == c->container_id) {
          m.shares_namespace.push_back({other.container_id, other.container_name});
        }
      }
    }
    m.summary = std::to_string(n) + " packet(s) to/from " + address.to_string() + " on " +
                m.interface +
                (m.container_name.empty() ? "" : " (host veth of " + m.container_name + ")");
    out.push_back(std::move(m));
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
  // A container stopped between the map and the capture's start takes its veth with it: the
  // links are mapped again and the capture restarted (a few times, containers come and go).
  for (int attempt = 1;; ++attempt) {
    try {
      return capture_once(engine, *address, options, duration, stop_flag);
    } catch (const error& e) {
      const bool gone = e.kind() == errc::not_found || e.kind() == errc::pcap;
      if (!gone || attempt == 3 || (stop_flag && stop_flag->load())) throw;
    }
  }
}

}  // namespace forensic::net
