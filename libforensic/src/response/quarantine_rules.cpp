#include "response/quarantine_rules.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "forensic/error.hpp"
#include "forensic/io/address.hpp"
#include "forensic/net/iptables.hpp"

namespace forensic::response::detail {
namespace {

// The filter table as net's one iptables-save reader sees it (the family only labels the
// result). Each rule's line is rebuilt as iptables-save prints it: "-A <chain> <rule>".
net::iptables_ruleset parse_save(std::string_view save) {
  return net::parse_iptables_save(save, AF_INET);
}

std::string line_of(const net::iptables_rule& r) { return "-A " + r.chain + " " + r.text; }

bool is_plain_jump_to_user(const net::iptables_rule& r) {
  return r.target == "DOCKER-USER" && !r.goto_target;
}

bool has_chain(const net::iptables_ruleset& rules, std::string_view name) {
  return std::any_of(rules.chains.begin(), rules.chains.end(),
                     [&](const auto& c) { return c.name == name; });
}

bool has_docker_chain(const std::optional<std::string>& save) {
  if (!save) return false;
  const auto rules = parse_save(*save);
  return has_chain(rules, "DOCKER") || has_chain(rules, "DOCKER-USER");
}

}  // namespace

void validate_case_id(std::string_view case_id) {
  bool ok = !case_id.empty() && case_id.size() <= 64;
  for (char c : case_id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      ok = false;
  }
  if (!ok) {
    throw error(errc::invalid_argument,
                "case id '" + std::string(case_id) + "' must be 1-64 of [A-Za-z0-9._-]");
  }
}

std::string quarantine_tag(std::string_view container_id, std::string_view case_id) {
  return std::string(tag_prefix) + std::string(container_id.substr(0, 12)) + ":" +
         std::string(case_id);
}

int address_family(std::string_view text) {
  // Literal forms only: the text goes into iptables' -d as typed.
  const auto subnet = io::parse_subnet(text, io::address_syntax::literal);
  if (!subnet) return 0;
  return subnet->network.family == AF_INET ? 4 : 6;
}

chain_facts read_chain_facts(std::string_view filter_save) {
  const auto rules = parse_save(filter_save);
  chain_facts f;
  f.docker_user_exists = has_chain(rules, "DOCKER-USER");
  f.docker_chains = f.docker_user_exists || has_chain(rules, "DOCKER");
  const auto first_forward = std::find_if(rules.rules.begin(), rules.rules.end(),
                                          [](const auto& r) { return r.chain == "FORWARD"; });
  f.docker_user_jump_first =
      first_forward != rules.rules.end() && is_plain_jump_to_user(*first_forward);
  return f;
}

std::vector<tagged_rule> find_tagged_rules(std::string_view filter_save, std::string_view id12) {
  std::vector<tagged_rule> out;
  for (const auto& rule : parse_save(filter_save).rules) {
    const std::string& tag = rule.comment;
    if (!tag.starts_with(tag_prefix)) continue;
    tagged_rule r;
    r.chain = rule.chain;
    r.line = line_of(rule);
    if (tag == jump_tag || tag == chain_tag) {
      if (!id12.empty()) continue;
      r.jump = tag == jump_tag;
      r.chain_marker = tag == chain_tag;
    } else {
      std::string_view rest = std::string_view(tag).substr(tag_prefix.size());
      auto colon = rest.find(':');
      r.container_id12 = std::string(rest.substr(0, colon));
      if (colon != std::string_view::npos) r.case_id = std::string(rest.substr(colon + 1));
      if (!id12.empty() && r.container_id12 != id12.substr(0, 12)) continue;
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::string> quarantine_rule_lines(const quarantine_target& target,
                                               const std::vector<std::string>& allow,
                                               std::string_view case_id, int family) {
  const std::string mark = " -m comment --comment " + quarantine_tag(target.container_id, case_id);
  std::vector<std::string> addrs, allowed;
  for (const auto& a : target.addresses) {
    if (address_family(a) == family) addrs.push_back(a);
  }
  for (const auto& a : allow) {
    if (address_family(a) == family) allowed.push_back(a);
  }
  std::vector<std::string> out;
  int pos_user = 1, pos_in = 1, pos_out = 1;
  auto user = [&](const std::string& spec, const char* target_name) {
    out.push_back("-I DOCKER-USER " + std::to_string(pos_user++) + " " + spec + mark + " -j " +
                  target_name);
  };
  auto input = [&](const std::string& spec, const char* target_name) {
    out.push_back("-I INPUT " + std::to_string(pos_in++) + " " + spec + mark + " -j " +
                  target_name);
  };
  auto output = [&](const std::string& spec, const char* target_name) {
    out.push_back("-I OUTPUT " + std::to_string(pos_out++) + " " + spec + mark + " -j " +
                  target_name);
  };
  // Allowed paths first: RETURN hands them back to Docker's own rules (no more than Docker
  // would allow); ACCEPT in INPUT/OUTPUT, where RETURN would mean the chain policy.
  for (const auto& l : allowed) {
    for (const auto& v : target.host_veths) {
      user("-m physdev --physdev-in " + v + " -d " + l, "RETURN");
      input("-m physdev --physdev-in " + v + " -d " + l, "ACCEPT");
    }
    for (const auto& a : addrs) {
      user("-s " + l + " -d " + a, "RETURN");
      user("-s " + a + " -d " + l, "RETURN");
      input("-s " + a + " -d " + l, "ACCEPT");
      output("-s " + l + " -d " + a, "ACCEPT");
    }
  }
  // The veth catches everything the container sends, whatever source address it forges;
  // physdev-out only knows the port for bridged packets, so routed ones are caught by address.
  for (const auto& v : target.host_veths) {
    user("-m physdev --physdev-in " + v, "DROP");
    user("-m physdev --physdev-out " + v + " --physdev-is-bridged", "DROP");
    input("-m physdev --physdev-in " + v, "DROP");
  }
  for (const auto& a : addrs) {
    user("-s " + a, "DROP");
    user("-d " + a, "DROP");
    input("-s " + a, "DROP");
    output("-d " + a, "DROP");
  }
  return out;
}

namespace {

std::string without_host_prefix(std::string a) {
  for (const char* suffix : {"/32", "/128"}) {
    if (a.ends_with(suffix)) a.resize(a.size() - std::string_view(suffix).size());
  }
  return a;
}

void sort_unique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

rule_subjects subjects_of(const std::vector<tagged_rule>& rules) {
  rule_subjects out;
  for (const auto& r : rules) {
    if (r.infrastructure() || !r.line.ends_with(" -j DROP")) continue;
    std::vector<std::string> words;
    std::size_t k = 0;
    while (k < r.line.size()) {
      auto sp = r.line.find(' ', k);
      if (sp == std::string::npos) sp = r.line.size();
      if (sp > k) words.push_back(r.line.substr(k, sp - k));
      k = sp + 1;
    }
    for (std::size_t i = 0; i + 1 < words.size(); ++i) {
      if (words[i] == "--physdev-in" || words[i] == "--physdev-out") {
        out.veths.push_back(words[i + 1]);
      } else if (words[i] == "-s" || words[i] == "-d") {
        out.addresses.push_back(without_host_prefix(words[i + 1]));
      }
    }
  }
  sort_unique(out.veths);
  sort_unique(out.addresses);
  return out;
}

rule_subjects subjects_of(const quarantine_target& target, int family) {
  rule_subjects out;
  out.veths = target.host_veths;
  for (const auto& a : target.addresses) {
    if (address_family(a) == family) out.addresses.push_back(a);
  }
  sort_unique(out.veths);
  sort_unique(out.addresses);
  return out;
}

std::string restore_script(const chain_facts& facts, const std::vector<tagged_rule>& replace,
                           const std::vector<std::string>& lines) {
  std::string s = "*filter\n";
  // Declaring an existing chain under --noflush would flush it: only declare a missing one.
  if (!facts.docker_user_exists) {
    s += ":DOCKER-USER - [0:0]\n-A DOCKER-USER -m comment --comment " + std::string(chain_tag) +
         " -j RETURN\n";
  }
  if (!facts.docker_user_jump_first) {
    s += "-I FORWARD 1 -m comment --comment " + std::string(jump_tag) + " -j DOCKER-USER\n";
  }
  for (const auto& r : replace) s += "-D" + r.line.substr(2) + "\n";
  for (const auto& l : lines) s += l + "\n";
  s += "COMMIT\n";
  return s;
}

std::string removal_script(std::string_view filter_save, const std::vector<tagged_rule>& rules) {
  std::string body;
  for (const auto& r : rules) body += "-D" + r.line.substr(2) + "\n";
  const auto all = find_tagged_rules(filter_save);
  auto is_removed = [&](const tagged_rule& t) {
    return std::any_of(rules.begin(), rules.end(), [&](const auto& r) { return r.line == t.line; });
  };
  const bool others_remain = std::any_of(
      all.begin(), all.end(), [&](const auto& t) { return !t.infrastructure() && !is_removed(t); });
  if (!others_remain) {
    const auto saved = parse_save(filter_save);
    bool foreign_jump = false, marker = false;
    int user_rules_left = 0;
    for (const auto& rule : saved.rules) {
      const bool ours = rule.comment.starts_with(tag_prefix);
      if (is_plain_jump_to_user(rule) && !ours) foreign_jump = true;
      if (rule.chain == "DOCKER-USER" && !ours) ++user_rules_left;
      if (rule.comment == chain_tag) marker = true;
    }
    for (const auto& t : all) {
      if (t.jump) body += "-D" + t.line.substr(2) + "\n";
    }
    if (marker && !foreign_jump && user_rules_left == 0 && has_chain(saved, "DOCKER-USER")) {
      for (const auto& t : all) {
        if (t.chain_marker) body += "-D" + t.line.substr(2) + "\n";
      }
      body += "-X DOCKER-USER\n";
    }
  }
  if (body.empty()) return {};
  return "*filter\n" + body + "COMMIT\n";
}

firewall_kind choose_backend(const backend_evidence& e, std::string* reason) {
  auto say = [&](const std::string& why) {
    if (reason) *reason = why;
  };
  if (has_docker_chain(e.legacy_filter) && e.legacy_restore) {
    say("Docker's chains are in the legacy iptables filter table");
    return firewall_kind::iptables_legacy;
  }
  if (has_docker_chain(e.nft_filter) && e.nft_restore) {
    say("Docker's chains are in the iptables-nft filter table");
    return firewall_kind::iptables_nft;
  }
  say(e.tc ? "no Docker chain in any iptables backend (the engine manages nftables itself, or "
             "runs with --iptables=false): tc drop on the host veth"
           : "no Docker chain in any iptables backend and no tc binary");
  return firewall_kind::tc;
}

std::string tc_cookie(std::string_view container_id) {
  std::string id12(container_id.substr(0, 12));
  for (char c : id12) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      throw error(errc::invalid_argument, "container id '" + id12 + "' is not hexadecimal");
    }
  }
  return "466f72656e736963" + id12;  // "Forensic" in ASCII, then the id12
}

std::vector<std::vector<std::string>> tc_quarantine_commands(std::string_view veth,
                                                             std::string_view container_id,
                                                             const std::vector<std::string>& allow,
                                                             bool add_clsact) {
  const std::string v(veth), cookie = tc_cookie(container_id);
  std::vector<std::vector<std::string>> out;
  if (add_clsact) out.push_back({"qdisc", "add", "dev", v, "clsact"});
  int pref = 49100;
  for (const auto& a : allow) {
    const int fam = address_family(a);
    if (fam == 0) continue;
    const std::string proto = fam == 4 ? "ip" : "ipv6", p = std::to_string(pref++);
    // ingress of the host veth = what the container sends.
    out.push_back({"filter", "add", "dev", v, "ingress", "pref", p, "protocol", proto, "flower",
                   "dst_ip", a, "action", "pass", "cookie", cookie});
    out.push_back({"filter", "add", "dev", v, "egress", "pref", p, "protocol", proto, "flower",
                   "src_ip", a, "action", "pass", "cookie", cookie});
  }
  for (const char* dir : {"ingress", "egress"}) {
    out.push_back({"filter", "add", "dev", v, dir, "pref", "49199", "protocol", "all", "matchall",
                   "action", "drop", "cookie", cookie});
  }
  return out;
}

}  // namespace forensic::response::detail
