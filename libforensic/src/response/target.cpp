// Resolving a container reference into what the quarantine matches: the engine gives the id,
// name, networks and addresses; the network module gives the host veths (from netlink).
#include "forensic/engine/containers.hpp"
#include "forensic/error.hpp"
#include "forensic/net/links.hpp"
#include "forensic/response/isolator.hpp"

namespace forensic::response {

quarantine_target resolve_target(engine::client& engine, std::string_view reference) {
  auto c = engine::inspect_container(engine, reference);
  quarantine_target t;
  t.container_id = c.id;
  t.container_name = c.name();
  for (const auto& n : c.networks) {
    if (!n.ipv4.empty()) t.addresses.push_back(n.ipv4);
    if (!n.ipv6.empty()) t.addresses.push_back(n.ipv6);
    t.networks.push_back(n.network_id);
  }
  if (c.state == "running" || c.state == "paused") {
    try {
      t.host_veths = net::host_interfaces_of(engine, c.id);
    } catch (const error& e) {
      // --network host or none: no veth; addresses (if any) still match.
      if (e.kind() != errc::not_found) throw;
    }
  }
  return t;
}

}  // namespace forensic::response
