#include "net/links_join.hpp"

namespace forensic::net::detail {

join_index::join_index(const std::vector<interface_info>& host, const engine_snapshot& snap)
    : snap_(snap) {
  by_index_.reserve(host.size());
  for (const auto& h : host) by_index_.emplace(h.ifindex, &h);
  for (const auto& c : snap.containers) {
    for (const auto& a : c.networks) {
      if (!a.mac.empty()) by_mac_[a.mac] = &a;  // the last one reported wins, as it did
    }
  }
}

const interface_info* join_index::host_link(int ifindex) const {
  auto it = by_index_.find(ifindex);
  return it == by_index_.end() ? nullptr : it->second;
}

const engine::network_attachment* join_index::attachment_with_mac(const std::string& mac) const {
  auto it = by_mac_.find(mac);
  return it == by_mac_.end() ? nullptr : it->second;
}

namespace {

// IFLA_LINK of a host veth is its peer's ifindex inside the namespace named by
// IFLA_LINK_NETNSID; the peer's IFLA_LINK is the host veth's ifindex. Both must agree, and
// the nsid too when the host has assigned one. (The host's ifindexes are unique: the one link
// the inside peer names is the only candidate.)
const interface_info* host_peer(const join_index& host, const interface_info& in, int nsid) {
  const interface_info* h = host.host_link(in.peer_ifindex);
  if (!h || h->kind != "veth" || h->peer_ifindex != in.ifindex) return nullptr;
  if (nsid >= 0 && h->link_netnsid >= 0 && h->link_netnsid != nsid) return nullptr;
  return h;
}

}  // namespace

std::vector<container_interface> join_namespace(const join_index& host,
                                                const std::vector<interface_info>& inside,
                                                int nsid) {
  std::vector<container_interface> out;
  for (const auto& in : inside) {
    if (in.name == "lo") continue;
    container_interface ci;
    ci.inside = in;
    if (const auto* h = host_peer(host, in, nsid)) {
      ci.host_veth = *h;
      if (const auto* bridge = host.host_link(h->master_ifindex)) {
        ci.bridge = bridge->name;
        if (const auto* net = host.snapshot().network_by_bridge(bridge->name)) {
          ci.docker_network = net->name;
          ci.docker_network_id = net->id;
        }
      }
    }
    if (ci.docker_network.empty() && !in.mac.empty()) {
      // Not on a bridge (macvlan, ipvlan, overlay): the engine's attachment with this MAC.
      if (const auto* a = host.attachment_with_mac(in.mac)) {
        ci.docker_network = a->name;
        ci.docker_network_id = a->network_id;
      }
    }
    out.push_back(std::move(ci));
  }
  return out;
}

std::vector<container_interface> join_namespace(const std::vector<interface_info>& host,
                                                const std::vector<interface_info>& inside, int nsid,
                                                const engine_snapshot& snap) {
  return join_namespace(join_index(host, snap), inside, nsid);
}

}  // namespace forensic::net::detail
