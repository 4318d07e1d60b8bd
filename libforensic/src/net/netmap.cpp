// The network map: links, bridges with both views of their subnets, published ports, and
// where the engine and the rules disagree.
#include "forensic/net/netmap.hpp"

#include <algorithm>
#include <future>
#include <nlohmann/json.hpp>
#include <set>

#include "forensic/engine/client.hpp"
#include "forensic/io/address.hpp"
#include "net/engine_view.hpp"
#include "net/links_join.hpp"

namespace forensic::net {
namespace {

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

std::string negated_value(const std::string& v) { return v.starts_with("! ") ? v.substr(2) : v; }

// Isolation rules of an internal network: "! -s 172.19.0.0/16 -o fx-br0 -j DROP".
void isolation_subnets(bridge_view& b, const docker_rules& d) {
  for (const auto& i : d.isolation) {
    if (negated_value(i.in_interface) != b.bridge.name &&
        negated_value(i.out_interface) != b.bridge.name) {
      continue;
    }
    // The subnet sits in the rule text after "! -s" or "! -d".
    for (const char* key : {"! -s ", "! -d "}) {
      const auto at = i.rule.find(key);
      if (at == std::string::npos) continue;
      const auto start = at + 5;
      add_unique(b.iptables_subnets, i.rule.substr(start, i.rule.find(' ', start) - start));
    }
  }
}

void fill_bridge(bridge_view& b, const docker_rules& d) {
  for (const auto& m : d.masquerades) {
    if (m.bridge == b.bridge.name) add_unique(b.iptables_subnets, m.subnet);
  }
  isolation_subnets(b, d);
  for (const auto& p : d.publications) {
    if (p.bridge == b.bridge.name) b.publications.push_back(p);
  }
}

bool subnet_in(const std::vector<std::string>& list, const std::string& subnet) {
  auto want = io::parse_subnet(subnet);
  for (const auto& s : list) {
    auto have = io::parse_subnet(s);
    if (want && have && have->prefix == want->prefix && have->contains(want->network)) return true;
  }
  return false;
}

void compare(network_map& m, const detail::engine_snapshot& snap) {
  const auto& d4 = m.firewall.docker_ipv4;
  const auto& d6 = m.firewall.docker_ipv6;
  std::vector<std::string> masq_subnets;
  for (const auto* d : {&d4, &d6}) {
    for (const auto& r : d->masquerades) masq_subnets.push_back(r.subnet);
  }
  std::vector<std::string> engine_subnets;
  for (const auto& n : snap.networks) {
    if (n.driver != "bridge") continue;
    for (const auto& s : n.subnets) {
      engine_subnets.push_back(s);
      const bool v6 = s.find(':') != std::string::npos;
      const bool rules_for_family = v6 ? m.firewall.docker_ipv6.docker_chains_present
                                       : m.firewall.docker_ipv4.docker_chains_present;
      if (!n.internal && n.masquerade && rules_for_family && !subnet_in(masq_subnets, s)) {
        m.disagreements.push_back("network " + n.name + " (" + s + ", bridge " + n.bridge +
                                  "): the engine masquerades it but no MASQUERADE rule does");
      }
    }
  }
  for (const auto* d : {&d4, &d6}) {
    for (const auto& r : d->masquerades) {
      if (!subnet_in(engine_subnets, r.subnet)) {
        m.disagreements.push_back("MASQUERADE rule for " + r.subnet + " (" + r.rule +
                                  "): no engine network has this subnet");
      }
    }
  }
  // Published ports: the engine's bindings against the DNAT rules.
  std::set<std::string> container_addresses;
  for (const auto& c : snap.containers) {
    for (const auto& a : c.networks) {
      if (!a.ipv4.empty()) container_addresses.insert(a.ipv4);
      if (!a.ipv6.empty()) container_addresses.insert(io::canonical(a.ipv6));
    }
  }
  for (const auto* d : {&d4, &d6}) {
    for (const auto& p : d->publications) {
      if (!container_addresses.count(io::canonical(p.container_address))) {
        m.disagreements.push_back("DNAT of host port " + p.host_port + "/" + p.protocol + " to " +
                                  p.container_address + ":" + p.container_port +
                                  ": no running container has that address");
      }
    }
  }
  for (const auto& c : snap.containers) {
    if (c.state != "running") continue;
    for (const auto& port : c.ports) {
      if (port.host_port == 0) continue;
      bool found = false;
      for (const auto* d : {&d4, &d6}) {
        for (const auto& p : d->publications) {
          found = found ||
                  (p.host_port == std::to_string(port.host_port) && p.protocol == port.protocol);
        }
      }
      if (!found && d4.docker_chains_present) {
        m.disagreements.push_back("container " + c.name() + " publishes " +
                                  std::to_string(port.host_port) + "/" + port.protocol +
                                  " but no DNAT rule does (userland proxy only, or rules flushed)");
      }
    }
  }
}

}  // namespace

network_map build_network_map(engine::client* engine) {
  network_map m;
  auto pending =
      std::async(std::launch::async, [engine] { return detail::take_snapshot(engine, true); });
  auto rules = std::async(std::launch::async, [] { return read_firewall(); });
  detail::engine_snapshot snap;
  m.links = detail::map_links_with(pending, snap);
  try {
    m.firewall = rules.get();
    m.firewall_read = true;
    m.warnings = m.firewall.warnings;
  } catch (const forensic::error& e) {
    m.warnings.push_back(std::string("iptables rules not read: ") + e.what());
  }
  for (const auto& b : m.links.bridges) {
    bridge_view v;
    v.bridge = b;
    if (const auto* n = snap.network_by_bridge(b.name)) v.internal = n->internal;
    fill_bridge(v, m.firewall.docker_ipv4);
    fill_bridge(v, m.firewall.docker_ipv6);
    m.bridges.push_back(std::move(v));
  }
  if (m.firewall_read && snap.available) compare(m, snap);
  return m;
}

nlohmann::json to_json(const network_map& m) {
  using nlohmann::json;
  json containers = json::array(), bridges = json::array();
  for (const auto& c : m.links.containers) containers.push_back(to_json(c));
  for (const auto& b : m.bridges) {
    json j = to_json(b.bridge);
    j["internal"] = b.internal;
    j["iptables_subnets"] = b.iptables_subnets;
    json pubs = json::array();
    for (const auto& p : b.publications) {
      pubs.push_back({{"protocol", p.protocol},
                      {"host_address", p.host_address},
                      {"host_port", p.host_port},
                      {"container_address", p.container_address},
                      {"container_port", p.container_port},
                      {"rule", p.rule}});
    }
    j["published_ports"] = pubs;
    bridges.push_back(std::move(j));
  }
  json warnings = m.links.warnings;
  for (const auto& w : m.warnings) warnings.push_back(w);
  return {{"schema", "forensic.netmap/1"},
          {"engine_available", m.links.engine_available},
          {"containers", containers},
          {"bridges", bridges},
          {"firewall", m.firewall_read ? to_json(m.firewall) : json(nullptr)},
          {"disagreements", m.disagreements},
          {"warnings", warnings}};
}

}  // namespace forensic::net
