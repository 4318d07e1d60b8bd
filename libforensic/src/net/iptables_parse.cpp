// iptables-save text into rules. The format is line based:
//   *nat                      table
//   :DOCKER - [0:0]           chain and policy
//   [12:720] -A ...           rule (counters only with -c)
//   COMMIT
// Arguments with spaces are double-quoted with backslash escapes (--comment "a \"b\"").
#include <sys/socket.h>

#include "forensic/net/iptables.hpp"

namespace forensic::net {
namespace {

std::vector<std::string> tokenize(std::string_view line) {
  std::vector<std::string> out;
  std::size_t k = 0;
  while (k < line.size()) {
    while (k < line.size() && (line[k] == ' ' || line[k] == '\t')) ++k;
    if (k >= line.size()) break;
    std::string token;
    if (line[k] == '"') {
      ++k;
      while (k < line.size() && line[k] != '"') {
        if (line[k] == '\\' && k + 1 < line.size()) ++k;
        token += line[k++];
      }
      ++k;  // closing quote (or end of a truncated line)
    } else {
      while (k < line.size() && line[k] != ' ' && line[k] != '\t') token += line[k++];
    }
    out.push_back(std::move(token));
  }
  return out;
}

bool is_option(const std::string& t) { return t.size() > 1 && t[0] == '-'; }

std::string* common_field(iptables_rule& r, const std::string& opt) {
  if (opt == "-p" || opt == "--protocol") return &r.protocol;
  if (opt == "-s" || opt == "--source") return &r.source;
  if (opt == "-d" || opt == "--destination") return &r.destination;
  if (opt == "-i" || opt == "--in-interface") return &r.in_interface;
  if (opt == "-o" || opt == "--out-interface") return &r.out_interface;
  if (opt == "--dport" || opt == "--dports" || opt == "--destination-port") return &r.dport;
  if (opt == "--sport" || opt == "--sports" || opt == "--source-port") return &r.sport;
  if (opt == "--to-destination") return &r.to_destination;
  if (opt == "--to-source") return &r.to_source;
  if (opt == "--to-ports") return &r.to_ports;
  if (opt == "--comment") return &r.comment;
  return nullptr;
}

void parse_rule(const std::vector<std::string>& t, std::size_t k, iptables_rule& r) {
  bool negate = false;
  while (k < t.size()) {
    const std::string& opt = t[k];
    if (opt == "!") {
      negate = true;
      ++k;
      continue;
    }
    const std::string prefix = negate ? "! " : "";
    negate = false;
    if ((opt == "-j" || opt == "--jump" || opt == "-g" || opt == "--goto") && k + 1 < t.size()) {
      r.target = t[k + 1];
      r.goto_target = opt == "-g" || opt == "--goto";
      k += 2;
      continue;
    }
    if ((opt == "-m" || opt == "--match") && k + 1 < t.size()) {
      r.modules.push_back(t[k + 1]);
      k += 2;
      continue;
    }
    std::string* field = common_field(r, opt);
    if (field && k + 1 < t.size() && !is_option(t[k + 1])) {
      *field = prefix + t[k + 1];
      k += 2;
      continue;
    }
    // Unknown: the option and every argument up to the next option, kept as written.
    std::string kept = prefix + opt;
    ++k;
    while (k < t.size() && !is_option(t[k]) && t[k] != "!") kept += " " + t[k++];
    r.unparsed.push_back(std::move(kept));
  }
}

}  // namespace

iptables_ruleset parse_iptables_save(std::string_view text, int family) noexcept {
  iptables_ruleset out;
  out.family = family;
  try {
    std::string table;
    std::size_t line_no = 0;
    while (!text.empty()) {
      const auto nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty() || line.front() == '#' || line == "COMMIT") continue;
      if (line.front() == '*') {
        table = std::string(line.substr(1));
        continue;
      }
      auto tokens = tokenize(line);
      if (tokens.empty()) continue;
      if (line.front() == ':') {
        out.chains.push_back({table, tokens[0].substr(1), tokens.size() > 1 ? tokens[1] : "-"});
        continue;
      }
      std::size_t k = 0;
      if (tokens[0].starts_with("[")) ++k;  // packet:byte counters of iptables-save -c
      if (k + 1 < tokens.size() && (tokens[k] == "-A" || tokens[k] == "--append")) {
        iptables_rule r;
        r.table = table;
        r.chain = tokens[k + 1];
        const auto at = line.find(r.chain, line.find(tokens[k]) + tokens[k].size());
        r.text = at == std::string_view::npos ? std::string(line)
                                              : std::string(line.substr(at + r.chain.size()));
        while (!r.text.empty() && r.text.front() == ' ') r.text.erase(0, 1);
        parse_rule(tokens, k + 2, r);
        out.rules.push_back(std::move(r));
        continue;
      }
      out.warnings.push_back("line " + std::to_string(line_no) +
                             " not understood: " + std::string(line.substr(0, 200)));
    }
  } catch (...) {
    out.warnings.push_back("parsing stopped early: out of memory");
  }
  return out;
}

}  // namespace forensic::net
