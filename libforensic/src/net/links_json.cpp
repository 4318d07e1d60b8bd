// JSON of the link map; field names are documented in docs/json-net.md and only added to.
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "forensic/net/links.hpp"

namespace forensic::net {

using nlohmann::json;

json to_json(const interface_address& a) {
  return {{"address", a.address},
          {"prefix", a.prefix},
          {"family", a.family == AF_INET6 ? "ipv6" : "ipv4"}};
}

json to_json(const interface_info& i) {
  json addresses = json::array();
  for (const auto& a : i.addresses) addresses.push_back(to_json(a));
  return {{"name", i.name},
          {"ifindex", i.ifindex},
          {"mac", i.mac},
          {"kind", i.kind},
          {"up", i.up},
          {"mtu", i.mtu},
          {"addresses", addresses},
          {"peer_ifindex", i.peer_ifindex},
          {"link_netnsid", i.link_netnsid},
          {"master_ifindex", i.master_ifindex}};
}

json to_json(const container_interface& i) {
  json j = to_json(i.inside);
  j["host_veth"] = i.host_veth ? to_json(*i.host_veth) : json(nullptr);
  j["bridge"] = i.bridge;
  j["network"] = i.docker_network;
  j["network_id"] = i.docker_network_id;
  return j;
}

json to_json(const container_links& c) {
  json interfaces = json::array();
  for (const auto& i : c.interfaces) interfaces.push_back(to_json(i));
  return {{"id", c.container_id},
          {"name", c.container_name},
          {"name_known", !c.container_name.empty()},
          {"pid", c.pid},
          {"netns_inode", c.netns_inode},
          {"network_mode", c.network_mode},
          {"shares_namespace_with", c.shares_namespace_with},
          {"interfaces", interfaces}};
}

json to_json(const bridge_info& b) {
  json addresses = json::array();
  for (const auto& a : b.addresses) addresses.push_back(to_json(a));
  return {{"name", b.name},
          {"ifindex", b.ifindex},
          {"network", b.docker_network},
          {"network_id", b.docker_network_id},
          {"engine_subnets", b.engine_subnets},
          {"addresses", addresses},
          {"ports", b.ports}};
}

}  // namespace forensic::net
