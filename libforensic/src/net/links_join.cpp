#include "net/links_join.hpp"

namespace forensic::net::detail {
namespace {

// IFLA_LINK of a host veth is its peer's ifindex inside the namespace named by
// IFLA_LINK_NETNSID; the peer's IFLA_LINK is the host veth's ifindex. Both must agree, and
// the nsid too when the host has assigned one.
const interface_info* host_peer(const std::vector<interface_info>& host, const interface_info& in,
                                int nsid) {
  for (const auto& h : host) {
    if (h.kind != "veth" || h.peer_ifindex != in.ifindex || in.peer_ifindex != h.ifindex) continue;
    if (nsid >= 0 && h.link_netnsid >= 0 && h.link_netnsid != nsid) continue;
    return &h;
  }
  return nullptr;
}

const interface_info* by_index(const std::vector<interface_info>& links, int ifindex) {
  for (const auto& l : links) {
    if (l.ifindex == ifindex) return &l;
  }
  return nullptr;
}

}  // namespace

std::vector<container_interface> join_namespace(const std::vector<interface_info>& host,
                                                const std::vector<interface_info>& inside, int nsid,
                                                const engine_snapshot& snap) {
  std::vector<container_interface> out;
  for (const auto& in : inside) {
    if (in.name == "lo") continue;
    container_interface ci;
    ci.inside = in;
    if (const auto* h = host_peer(host, in, nsid)) {
      ci.host_veth = *h;
      if (const auto* bridge = by_index(host, h->master_ifindex)) {
        ci.bridge = bridge->name;
        if (const auto* net = snap.network_by_bridge(bridge->name)) {
          ci.docker_network = net->name;
          ci.docker_network_id = net->id;
        }
      }
    }
    if (ci.docker_network.empty()) {
      // Not on a bridge (macvlan, ipvlan, overlay): the engine's attachment with this MAC.
      for (const auto& c : snap.containers) {
        for (const auto& a : c.networks) {
          if (!a.mac.empty() && a.mac == in.mac) {
            ci.docker_network = a.name;
            ci.docker_network_id = a.network_id;
          }
        }
      }
    }
    out.push_back(std::move(ci));
  }
  return out;
}

}  // namespace forensic::net::detail
