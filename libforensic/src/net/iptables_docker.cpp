// Docker's rules read back as facts, reading the rules from the host, and their JSON.
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "forensic/error.hpp"
#include "forensic/net/iptables.hpp"
#include "io/spawn.hpp"

namespace forensic::net {
namespace {

std::string strip_negation(const std::string& v, bool& negated) {
  negated = v.starts_with("! ");
  return negated ? v.substr(2) : v;
}

std::string host_part(std::string v) {  // "127.0.0.1/32" -> "127.0.0.1"
  if (v.ends_with("/32") || v.ends_with("/128")) v.erase(v.rfind('/'));
  return v;
}

// "172.17.0.2:80", "[fd00::2]:80", "172.17.0.2" -> address and port.
void split_destination(const std::string& to, std::string& address, std::string& port) {
  if (to.starts_with("[")) {
    const auto close = to.find(']');
    address = to.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    if (close != std::string::npos && close + 1 < to.size() && to[close + 1] == ':') {
      port = to.substr(close + 2);
    }
    return;
  }
  const auto colon = to.find(':');
  if (colon != std::string::npos && to.find(':', colon + 1) == std::string::npos) {
    address = to.substr(0, colon);
    port = to.substr(colon + 1);
  } else {
    address = to;  // bare IPv6 or no port
  }
}

std::string backend_of(const std::string& text) {
  if (text.find("(nf_tables)") != std::string::npos) return "nf_tables";
  if (text.find("(legacy)") != std::string::npos) return "legacy";
  return {};
}

void read_family(const char* program, int family, iptables_ruleset& rules, std::string& backend,
                 std::vector<std::string>& warnings, bool& any_tool) {
  rules.family = family;
  constexpr std::chrono::milliseconds timeout{15000};
  auto r = io::spawn_named(program, {}, {{}, timeout});
  if (!r.started) {
    warnings.push_back(std::string(program) + " not found: its rules are unknown");
    return;
  }
  any_tool = true;
  if (r.timed_out) {
    r.err +=
        std::string(program) + " did not finish within " + std::to_string(timeout.count()) + " ms";
  }
  if (r.exit_code != 0) {
    warnings.push_back(std::string(program) + " failed (exit " + std::to_string(r.exit_code) +
                       "): " + r.err.substr(0, 300));
    return;
  }
  rules = parse_iptables_save(r.out, family);
  if (backend.empty()) backend = backend_of(r.out);
  if (r.err.find("iptables-legacy tables present") != std::string::npos) {
    warnings.push_back(std::string(program) +
                       ": legacy tables are present too and were not read (iptables-legacy-save)");
  }
}

}  // namespace

docker_rules docker_view(const iptables_ruleset& rules) {
  docker_rules d;
  d.family = rules.family;
  for (const auto& c : rules.chains) {
    if (c.name == "DOCKER") d.docker_chains_present = true;
  }
  for (const auto& r : rules.rules) {
    bool neg = false;
    if (r.table == "nat" && r.chain == "POSTROUTING" && r.target == "MASQUERADE" &&
        !r.source.empty() && r.destination.empty()) {
      masquerade_rule m;
      m.subnet = r.source;
      const std::string out = strip_negation(r.out_interface, neg);
      (neg ? m.bridge : m.out_interface) = out;
      m.rule = r.text;
      d.masquerades.push_back(std::move(m));
    } else if (r.table == "nat" && r.chain == "DOCKER" && r.target == "DNAT") {
      port_publication p;
      p.protocol = r.protocol;
      p.host_address = host_part(r.destination);
      p.host_port = r.dport;
      split_destination(r.to_destination, p.container_address, p.container_port);
      if (p.container_port.empty()) p.container_port = p.host_port;
      const std::string in = strip_negation(r.in_interface, neg);
      if (neg) p.bridge = in;
      p.rule = r.text;
      d.publications.push_back(std::move(p));
    } else if (r.table == "filter" && r.chain == "DOCKER-USER") {
      d.docker_user.push_back(r);
    } else if (r.table == "filter" && r.chain.starts_with("DOCKER-ISOLATION")) {
      d.isolation.push_back({r.chain, r.in_interface, r.out_interface, r.target, r.text});
    }
  }
  return d;
}

firewall_rules read_firewall() {
  firewall_rules f;
  bool any_tool = false;
  read_family("iptables-save", AF_INET, f.ipv4, f.backend, f.warnings, any_tool);
  read_family("ip6tables-save", AF_INET6, f.ipv6, f.backend, f.warnings, any_tool);
  if (!any_tool) {
    throw error(errc::not_found,
                "neither iptables-save nor ip6tables-save is installed in "
                "/usr/sbin, /sbin, /usr/bin or /bin");
  }
  f.docker_ipv4 = docker_view(f.ipv4);
  f.docker_ipv6 = docker_view(f.ipv6);
  for (const auto* set : {&f.ipv4, &f.ipv6}) {
    f.warnings.insert(f.warnings.end(), set->warnings.begin(), set->warnings.end());
  }
  return f;
}

nlohmann::json to_json(const iptables_rule& r) {
  return {{"table", r.table},
          {"chain", r.chain},
          {"rule", r.text},
          {"protocol", r.protocol},
          {"source", r.source},
          {"destination", r.destination},
          {"in_interface", r.in_interface},
          {"out_interface", r.out_interface},
          {"sport", r.sport},
          {"dport", r.dport},
          {"target", r.target},
          {"goto", r.goto_target},
          {"to_destination", r.to_destination},
          {"to_source", r.to_source},
          {"to_ports", r.to_ports},
          {"modules", r.modules},
          {"comment", r.comment},
          {"unparsed", r.unparsed}};
}

nlohmann::json to_json(const docker_rules& d) {
  using nlohmann::json;
  json masq = json::array(), pubs = json::array(), user = json::array(), iso = json::array();
  for (const auto& m : d.masquerades) {
    masq.push_back({{"subnet", m.subnet},
                    {"bridge", m.bridge},
                    {"out_interface", m.out_interface},
                    {"rule", m.rule}});
  }
  for (const auto& p : d.publications) {
    pubs.push_back({{"protocol", p.protocol},
                    {"host_address", p.host_address},
                    {"host_port", p.host_port},
                    {"container_address", p.container_address},
                    {"container_port", p.container_port},
                    {"bridge", p.bridge},
                    {"rule", p.rule}});
  }
  for (const auto& r : d.docker_user) user.push_back(to_json(r));
  for (const auto& i : d.isolation) {
    iso.push_back({{"chain", i.chain},
                   {"in_interface", i.in_interface},
                   {"out_interface", i.out_interface},
                   {"target", i.target},
                   {"rule", i.rule}});
  }
  return {{"family", d.family == AF_INET6 ? "ipv6" : "ipv4"},
          {"docker_chains_present", d.docker_chains_present},
          {"masquerades", masq},
          {"publications", pubs},
          {"docker_user", user},
          {"isolation", iso}};
}

nlohmann::json to_json(const firewall_rules& f) {
  return {{"backend", f.backend},
          {"ipv4", to_json(f.docker_ipv4)},
          {"ipv6", to_json(f.docker_ipv6)},
          {"warnings", f.warnings}};
}

}  // namespace forensic::net
