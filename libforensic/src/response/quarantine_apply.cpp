#include "response/quarantine_apply.hpp"

#include "response/firewall.hpp"
#include "response/quarantine_rules.hpp"

namespace forensic::response::detail {

std::vector<int> families(const firewall_backend& b) {
  std::vector<int> f{4};
  if (b.ipv6) f.push_back(6);
  return f;
}

std::vector<std::string> script_lines(const std::string& script) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < script.size()) {
    auto nl = script.find('\n', start);
    out.push_back(script.substr(start, nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  if (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

namespace {

std::string who(int family) { return family == 6 ? "ip6tables: " : "iptables: "; }

}  // namespace

std::vector<std::string> remove_rules(const firewall_backend& b, const std::string& id,
                                      bool dry_run) {
  std::vector<std::string> done;
  for (int fam : families(b)) {
    const std::string save = save_filter(b, fam);
    // Even with no rule of this container in the family, an earlier release may have left
    // our jump and chain: removal_script cleans them once nothing of ours remains.
    const std::string script = removal_script(save, find_tagged_rules(save, id.substr(0, 12)));
    if (script.empty()) continue;
    for (auto& l : script_lines(script)) done.push_back(who(fam) + l);
    if (!dry_run) restore_filter(b, fam, script);
  }
  return done;
}

bool apply_rules(const firewall_backend& b, const quarantine_target& t,
                 const std::vector<std::string>& allow, const std::string& case_id, bool dry_run,
                 std::vector<std::string>& commands, std::vector<std::string>& notes,
                 std::string* other_case) {
  struct plan {
    int family;
    std::string script;
  };
  std::vector<plan> plans;
  const std::string id12 = t.container_id.substr(0, 12);
  bool all_in_place = true;
  for (int fam : families(b)) {
    const std::string save = save_filter(b, fam);
    const auto facts = read_chain_facts(save);
    const auto existing = find_tagged_rules(save, id12);
    for (const auto& e : existing) {
      if (other_case && e.case_id != case_id) {
        *other_case = e.case_id;
        return false;
      }
    }
    if (fam == 6 && !t.ipv6 && existing.empty() && save.find("*filter") == std::string::npos) {
      notes.push_back(
          "no ip6tables rules: IPv6 is disabled in its namespace (no IPv6 address) and the host "
          "has no ip6tables filter table, which adding rules would create for good");
      continue;
    }
    const auto lines = quarantine_rule_lines(t, allow, case_id, fam);
    if (lines.empty() && existing.empty()) continue;  // nothing to match: leave the table be
    bool in_place = facts.docker_user_exists && facts.docker_user_jump_first &&
                    existing.size() == lines.size() && subjects_of(existing) == subjects_of(t, fam);
    for (const auto& e : existing) in_place = in_place && e.case_id == case_id;
    std::string script =
        lines.empty() ? removal_script(save, existing) : restore_script(facts, existing, lines);
    for (auto& l : script_lines(script)) commands.push_back(who(fam) + l);
    if (!in_place) all_in_place = false;
    if (!in_place) plans.push_back({fam, std::move(script)});
  }
  if (all_in_place) return false;
  if (dry_run) return true;
  std::vector<int> applied;
  try {
    for (const auto& p : plans) {
      restore_filter(b, p.family, p.script);
      applied.push_back(p.family);
    }
  } catch (...) {
    // One family applied and the other refused: take ours back so nothing is half-applied.
    if (!applied.empty()) remove_rules(b, t.container_id, false);
    throw;
  }
  return true;
}

}  // namespace forensic::response::detail
