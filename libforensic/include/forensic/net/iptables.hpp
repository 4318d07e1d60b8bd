#pragma once
// The packet filter as iptables-save / ip6tables-save print it (legacy or nft backend: the
// text format is the same), parsed into a model, and the part of it Docker wrote read back as
// facts: which subnets are masqueraded and by which bridge they leave, which host ports are
// DNATed to which container address, what DOCKER-USER does, which bridges are isolated.
//
// Parsing never fails on a rule it does not understand: unknown matches and targets are kept
// verbatim in the rule (`unparsed`) and the rule still counts.
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace forensic::net {

struct iptables_rule {
  std::string table;  // "nat", "filter", ...
  std::string chain;
  std::string text;  // the rule as saved, after "-A <chain> "
  // Common matches. A negated match keeps its "!" ("! docker0").
  std::string protocol, source, destination, in_interface, out_interface;
  std::string sport, dport;  // --sport/--dport/--sports/--dports as written ("8080", "1000:2000")
  std::string target;        // -j (or -g) argument: "DNAT", "MASQUERADE", "DOCKER", "ACCEPT"
  bool goto_target = false;  // -g instead of -j
  std::string to_destination, to_source, to_ports;  // DNAT/SNAT/MASQUERADE arguments
  std::vector<std::string> modules;   // -m arguments in order ("tcp", "conntrack", "addrtype")
  std::vector<std::string> unparsed;  // every option not understood above, with its arguments
  std::string comment;                // -m comment --comment
};

struct iptables_chain {
  std::string table;
  std::string name;
  std::string policy;  // "ACCEPT"/"DROP" for built-in chains, "-" for user chains
};

struct iptables_ruleset {
  int family = 0;  // AF_INET (iptables-save) or AF_INET6 (ip6tables-save)
  std::vector<iptables_chain> chains;
  std::vector<iptables_rule> rules;
  std::vector<std::string> warnings;  // lines that were not rules, chains or tables
};

// Parses the output of iptables-save / ip6tables-save (all tables present are kept). Never
// throws.
iptables_ruleset parse_iptables_save(std::string_view text, int family) noexcept;

// What Docker's rules say.
struct masquerade_rule {
  std::string subnet;         // -s, "172.18.0.0/16"
  std::string bridge;         // the interface excluded with "! -o" (traffic leaving any other way)
  std::string out_interface;  // a positive -o, when the rule has one instead
  std::string rule;           // verbatim
};
struct port_publication {
  std::string protocol;           // "tcp", "udp", "sctp"
  std::string host_address;       // -d, empty for every address
  std::string host_port;          // --dport ("8080" or a range "8000:8010")
  std::string container_address;  // from --to-destination
  std::string container_port;
  std::string bridge;  // from "! -i <bridge>"
  std::string rule;
};
struct isolation_rule {
  std::string chain;  // DOCKER-ISOLATION-STAGE-1/2
  std::string in_interface, out_interface, target;
  std::string rule;
};
struct docker_rules {
  int family = 0;
  std::vector<masquerade_rule> masquerades;
  std::vector<port_publication> publications;
  std::vector<iptables_rule> docker_user;  // every rule of DOCKER-USER, in order
  std::vector<isolation_rule> isolation;
  bool docker_chains_present = false;  // a DOCKER chain exists in nat or filter
};
docker_rules docker_view(const iptables_ruleset& rules);

// Both families as read from this host, with how they were read.
struct firewall_rules {
  iptables_ruleset ipv4, ipv6;
  docker_rules docker_ipv4, docker_ipv6;
  std::string backend;                // "nf_tables", "legacy", or "" when unknown
  std::vector<std::string> warnings;  // a save tool missing or refused: the other still counts
};

// Runs iptables-save and ip6tables-save (nat and filter tables) through posix_spawn; never
// through a shell. A family whose tool fails becomes a warning; throws errc::not_found only
// when neither tool exists.
firewall_rules read_firewall();

nlohmann::json to_json(const iptables_rule& r);
nlohmann::json to_json(const docker_rules& d);
nlohmann::json to_json(const firewall_rules& f);

}  // namespace forensic::net
