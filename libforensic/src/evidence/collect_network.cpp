// The network artifact: network/network.json (docs/bundle.md). Each part is read on its own and
// is either {"collected": true, "items": [...]} or {"collected": false, "reason": "..."}: an
// empty list always means "there is none", never "could not look".
#include <sys/socket.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "evidence/attribution.hpp"
#include "evidence/collection.hpp"
#include "forensic/error.hpp"
#include "forensic/io/address.hpp"
#include "forensic/io/time.hpp"
#include "forensic/net/conntrack.hpp"
#include "forensic/net/docker_proxy.hpp"
#include "forensic/net/iptables.hpp"
#include "forensic/net/links.hpp"
#include "forensic/net/sockets.hpp"

namespace forensic::evidence::detail {
namespace {

using nlohmann::json;

json taken(json items) { return {{"collected", true}, {"items", std::move(items)}}; }

// The host part of a DNAT/SNAT argument: "172.18.0.2:80", "[fd00::2]:80", "172.18.0.2-172.18.0.9".
std::string nat_host(std::string text) {
  if (text.starts_with('[')) return text.substr(1, text.find(']') - 1);
  if (std::count(text.begin(), text.end(), ':') == 1) text = text.substr(0, text.find(':'));
  return text.substr(0, text.find('-'));
}

std::string without_negation(std::string text) {
  if (text.starts_with('!')) text.erase(0, 1);
  while (!text.empty() && text.front() == ' ') text.erase(0, 1);
  return text;
}

// A -s/-d value names the address: the address itself or a subnet holding it (Docker's
// MASQUERADE rule names the container's subnet). 0.0.0.0/0 would name everything: it is not a
// mention.
bool names_address(const std::string& field, const std::vector<io::ip_address>& addresses) {
  if (field.empty()) return false;
  const auto subnet = io::parse_subnet(without_negation(field));
  if (!subnet || subnet->prefix == 0) return false;
  return std::any_of(addresses.begin(), addresses.end(),
                     [&](const io::ip_address& a) { return subnet->contains(a); });
}

bool nat_names_address(const std::string& field, const std::vector<io::ip_address>& addresses) {
  if (field.empty()) return false;
  const auto host = io::parse_ip(nat_host(field));
  return host && std::any_of(addresses.begin(), addresses.end(),
                             [&](const io::ip_address& a) { return io::same_host(*host, a); });
}

bool names_port(const net::iptables_rule& r, const std::vector<engine::port_binding>& ports) {
  if (r.dport.empty()) return false;
  return std::any_of(ports.begin(), ports.end(), [&](const engine::port_binding& p) {
    return p.host_port != 0 && r.dport == std::to_string(p.host_port) &&
           (r.protocol.empty() || r.protocol == p.protocol);
  });
}

json rules_of(const net::iptables_ruleset& set, const std::vector<io::ip_address>& addresses,
              const std::vector<engine::port_binding>& ports) {
  json items = json::array();
  for (const auto& r : set.rules) {
    if (r.table != "filter" && r.table != "nat") continue;
    if (!names_address(r.source, addresses) && !names_address(r.destination, addresses) &&
        !nat_names_address(r.to_destination, addresses) &&
        !nat_names_address(r.to_source, addresses) && !names_port(r, ports)) {
      continue;
    }
    json j = net::to_json(r);
    j["family"] = set.family == AF_INET6 ? "ipv6" : "ipv4";
    j["raw"] = "-A " + r.chain + " " + r.text;
    items.push_back(std::move(j));
  }
  return items;
}

}  // namespace

void collect_network(collection& c) {
  if (!host_side_allowed(c, "network")) return;
  const std::string started = io::rfc3339_now();
  if (c.target.pid <= 0) {
    throw error(errc::conflict, "container " + c.target.name() + " is not running (state " +
                                    c.target.state + "): it has no network namespace to read");
  }
  std::vector<std::string> missing;  // "conntrack (reason)"
  errc first_kind = errc::not_found;
  // Runs one part: its items, or {"collected": false} with the reason.
  const auto part = [&](const char* name, const std::function<json()>& read) -> json {
    try {
      return taken(read());
    } catch (const error& e) {
      if (e.kind() == errc::cancelled || e.kind() == errc::no_space) throw;
      if (missing.empty()) first_kind = e.kind();
      missing.push_back(std::string(name) + " (" + e.what() + ")");
      return {{"collected", false}, {"reason", e.what()}};
    }
  };

  json self = nullptr;
  std::vector<std::string> warnings;
  std::vector<io::ip_address> addresses;
  const auto add_address = [&](const std::string& text) {
    const auto a = io::parse_ip(text);
    if (a && std::find(addresses.begin(), addresses.end(), *a) == addresses.end()) {
      addresses.push_back(*a);
    }
  };
  json bridges;
  json interfaces = part("interfaces", [&] {
    const auto map = net::map_links(&c.engine);
    warnings = map.warnings;
    json items = json::array(), found_bridges = json::array();
    for (const auto& l : map.containers) {
      if (l.container_id != c.target.id) continue;
      self = net::to_json(l);
      for (const auto& i : l.interfaces) {
        items.push_back(net::to_json(i));
        for (const auto& a : i.inside.addresses) {
          if (a.address != "127.0.0.1" && a.address != "::1") add_address(a.address);
        }
      }
    }
    for (const auto& b : map.bridges) found_bridges.push_back(net::to_json(b));
    bridges = taken(std::move(found_bridges));
    return items;
  });
  if (bridges.is_null()) bridges = {{"collected", false}, {"reason", interfaces["reason"]}};
  // The engine's view of its addresses too: a namespace whose links could not be read still
  // has the addresses the engine gave it (conntrack and the rules name them).
  for (const auto& n : c.target.networks) {
    if (!n.ipv4.empty()) add_address(n.ipv4);
    if (!n.ipv6.empty()) add_address(n.ipv6);
  }
  json address_list = json::array();
  for (const auto& a : addresses) address_list.push_back(a.to_string());

  json sockets = part("sockets", [&] {
    json items = json::array();
    for (const auto& s : net::namespace_sockets(c.target.pid)) items.push_back(net::to_json(s));
    return items;
  });
  std::string conntrack_source;
  json conntrack = part("conntrack", [&] {
    const auto table = net::dump_conntrack();
    conntrack_source = table.source;
    warnings.insert(warnings.end(), table.warnings.begin(), table.warnings.end());
    json items = json::array();
    for (const auto& f : table.flows) {
      const bool ours = std::any_of(addresses.begin(), addresses.end(), [&](const auto& a) {
        return io::same_host(f.src, a) || io::same_host(f.dst, a) ||
               io::same_host(f.reply_src, a) || io::same_host(f.reply_dst, a);
      });
      if (ours) items.push_back(net::to_json(f));
    }
    return items;
  });
  // Both families; a family whose save tool failed is its own part, so the other still counts.
  std::optional<net::firewall_rules> firewall;
  std::string firewall_error;
  try {
    firewall = net::read_firewall();
  } catch (const error& e) {
    if (e.kind() == errc::cancelled) throw;
    firewall_error = e.what();
  }
  const auto family_part = [&](const char* name, const char* tool, bool v6) {
    return part(name, [&] {
      if (!firewall) throw error(errc::not_found, firewall_error);
      for (const auto& w : firewall->warnings) {
        // read_firewall() reports a family it could not read as a warning naming its tool.
        if (w.starts_with(std::string(tool) + " ")) throw error(errc::not_found, w);
      }
      return rules_of(v6 ? firewall->ipv6 : firewall->ipv4, addresses, c.target.ports);
    });
  };
  json iptables = family_part("iptables", "iptables-save", false);
  json ip6tables = family_part("ip6tables", "ip6tables-save", true);
  if (firewall) {
    for (const auto& w : firewall->warnings) {
      if (!w.starts_with("iptables-save ") && !w.starts_with("ip6tables-save ")) {
        warnings.push_back(w);
      }
    }
  }
  json ports = part("ports", [&] {
    const auto proxies = net::docker_proxies();
    json items = json::array();
    for (const auto& p : c.target.ports) {
      if (p.host_port == 0) continue;  // exposed, not published
      json served_by = json::array();
      for (const auto& proxy : proxies) {
        const auto ip = io::parse_ip(proxy.container_ip);
        const bool to_us =
            ip && std::find(addresses.begin(), addresses.end(), *ip) != addresses.end();
        if (to_us && proxy.container_port == p.container_port && proxy.protocol == p.protocol &&
            proxy.host_port == p.host_port) {
          served_by.push_back(net::to_json(proxy));
        }
      }
      items.push_back({{"protocol", p.protocol},
                       {"container_port", p.container_port},
                       {"host_ip", p.host_ip},
                       {"host_port", p.host_port},
                       {"docker_proxy", std::move(served_by)}});
    }
    return items;
  });

  json doc = {{"container_id", c.target.id},
              {"pid", c.target.pid},
              {"container", self},
              {"addresses", std::move(address_list)},
              {"interfaces", std::move(interfaces)},
              {"bridges", std::move(bridges)},
              {"sockets", std::move(sockets)},
              {"conntrack", std::move(conntrack)},
              {"conntrack_source", conntrack_source},
              {"iptables", std::move(iptables)},
              {"ip6tables", std::move(ip6tables)},
              {"ports", std::move(ports)},
              {"warnings", warnings}};
  const std::string text = doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  c.add_artifact("network", c.bundle->write_file("network/network.json", text), started,
                 "netlink (links and addresses per namespace), /proc/" +
                     std::to_string(c.target.pid) +
                     "/net (sockets), conntrack, iptables-save/ip6tables-save, docker-proxy "
                     "processes");
  if (!missing.empty()) {
    std::string what = "network parts not collected: ";
    for (std::size_t i = 0; i < missing.size(); ++i) what += (i ? "; " : "") + missing[i];
    // The part's own kind, unless it is one that would end the whole collection.
    const bool aborting = first_kind == errc::io || first_kind == errc::timeout ||
                          first_kind == errc::engine_unreachable;
    throw error(aborting ? errc::not_found : first_kind, what);
  }
}

}  // namespace forensic::evidence::detail
