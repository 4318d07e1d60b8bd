// Joining container interfaces to their host peers, on synthetic link dumps.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "net/engine_view.hpp"
#include "net/links_join.hpp"

using namespace forensic;
using net::interface_info;

namespace {

interface_info iface(int ifindex, std::string name, std::string kind, int peer = 0, int nsid = -1,
                     int master = 0, std::string mac = {}) {
  interface_info i;
  i.ifindex = ifindex;
  i.name = std::move(name);
  i.kind = std::move(kind);
  i.peer_ifindex = peer;
  i.link_netnsid = nsid;
  i.master_ifindex = master;
  i.mac = std::move(mac);
  return i;
}

}  // namespace

TEST_CASE("net links join: peers by ifindex and nsid, bridge network, MAC fallback") {
  // Host: a bridge, and one veth per container namespace, all peered with an eth0 of index 5.
  std::vector<interface_info> host = {iface(1, "lo", ""), iface(2, "eth0", ""),
                                      iface(3, "br-0123456789ab", "bridge")};
  for (int k = 0; k < 300; ++k) {
    host.push_back(iface(100 + k, "veth" + std::to_string(k), "veth", 5, k, 3));
  }
  net::detail::engine_snapshot snap;
  snap.networks.push_back(
      {"0123456789abcdef", "irnet", "bridge", "br-0123456789ab", true, true, {}});
  engine::container mac_owner;
  mac_owner.id = std::string(64, 'c');
  engine::network_attachment a;
  a.name = "macnet";
  a.network_id = "feed";
  a.mac = "02:42:ac:11:00:09";
  mac_owner.networks.push_back(a);
  snap.containers.push_back(mac_owner);
  const net::detail::join_index index(host, snap);

  // The namespace the host calls nsid 42: its eth0 is the peer of veth42.
  const std::vector<interface_info> inside = {iface(1, "lo", ""), iface(5, "eth0", "veth", 142)};
  auto joined = net::detail::join_namespace(index, inside, 42);
  REQUIRE(joined.size() == 1);  // loopback left out
  REQUIRE(joined[0].host_veth);
  CHECK(joined[0].host_veth->name == "veth42");
  CHECK(joined[0].bridge == "br-0123456789ab");
  CHECK(joined[0].docker_network == "irnet");
  CHECK(joined[0].docker_network_id == "0123456789abcdef");
  // The overload that indexes for one namespace gives the same.
  const auto once = net::detail::join_namespace(host, inside, 42, snap);
  REQUIRE(once.size() == 1);
  CHECK(once[0].host_veth->name == "veth42");

  // Another nsid than the veth's: not its peer. Unassigned nsid (-1): the ifindexes decide.
  CHECK_FALSE(net::detail::join_namespace(index, inside, 7)[0].host_veth);
  CHECK(net::detail::join_namespace(index, inside, -1)[0].host_veth->name == "veth42");
  // The peer must point back: eth0 naming veth42 whose own peer index is another one.
  const std::vector<interface_info> stray = {iface(6, "eth0", "veth", 142)};
  CHECK_FALSE(net::detail::join_namespace(index, stray, 42)[0].host_veth);

  // No veth (macvlan): the engine's attachment with the same MAC names the network.
  const std::vector<interface_info> macvlan = {
      iface(7, "eth0", "macvlan", 2, 0, 0, "02:42:ac:11:00:09")};
  joined = net::detail::join_namespace(index, macvlan, 0);
  REQUIRE(joined.size() == 1);
  CHECK_FALSE(joined[0].host_veth);
  CHECK(joined[0].docker_network == "macnet");
  CHECK(joined[0].docker_network_id == "feed");
  // No MAC: no guess.
  const std::vector<interface_info> no_mac = {iface(8, "eth0", "macvlan", 2)};
  CHECK(net::detail::join_namespace(index, no_mac, 0)[0].docker_network.empty());
}
