// `list`: what is quarantined, and whether each quarantine still holds on the container as it
// is now (its current veths and addresses), or names things it no longer has.
#include <algorithm>
#include <map>

#include "forensic/engine/containers.hpp"
#include "forensic/engine/operations.hpp"
#include "forensic/error.hpp"
#include "forensic/response/isolator.hpp"
#include "response/firewall.hpp"
#include "response/quarantine_apply.hpp"
#include "response/quarantine_rules.hpp"
#include "response/state.hpp"

namespace forensic::response {
using namespace detail;

namespace {

using holders = std::map<std::string, std::string>;  // address -> "name (id12)"

// Who holds each address now (running containers, as the engine lists them).
holders address_holders(engine::client& engine) {
  holders out;
  engine::list_options o;
  o.inspect = false;
  for (const auto& c : engine::list_containers(engine, o)) {
    for (const auto& n : c.networks) {
      for (const auto& a : {n.ipv4, n.ipv6}) {
        if (!a.empty()) out[a] = c.name() + " (" + c.short_id() + ")";
      }
    }
  }
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The differences between what the rules name and what the container has now.
void explain_mismatch(const rule_subjects& have, const quarantine_target& now, const holders& held,
                      const std::string& self12, std::vector<std::string>& stale) {
  for (const auto& v : have.veths) {
    if (!contains(now.host_veths, v)) stale.push_back("rules name veth " + v + ", not its own");
  }
  for (const auto& v : now.host_veths) {
    if (!contains(have.veths, v)) stale.push_back("its veth " + v + " is not covered");
  }
  for (const auto& a : have.addresses) {
    if (contains(now.addresses, a)) continue;
    auto it = held.find(a);
    if (it != held.end() && it->second.find(self12) == std::string::npos) {
      stale.push_back("rules name address " + a + ", now held by " + it->second +
                      ", whose traffic they block");
    } else {
      stale.push_back("rules name address " + a + ", which it no longer has");
    }
  }
  for (const auto& a : now.addresses) {
    if (!contains(have.addresses, a)) stale.push_back("its address " + a + " is not covered");
  }
}

void check_network(const quarantine_target& now, const std::vector<tagged_rule>& rules,
                   const holders& held, quarantine_record& rec) {
  rule_subjects have = subjects_of(rules);
  rule_subjects want;
  want.veths = sorted(now.host_veths);
  want.addresses = sorted(now.addresses);
  rec.in_force = !rules.empty();
  if (!rec.in_force) {
    rec.status = now.running ? "missing" : "waiting";
    return;
  }
  rec.matches_container = now.running && have == want;
  if (rec.matches_container) {
    rec.status = "enforced";
    return;
  }
  rec.status = "stale";
  if (!now.running) rec.stale.push_back("the container is not running; its rules remain");
  explain_mismatch(have, now, held, now.container_id.substr(0, 12), rec.stale);
}

void check_record(engine::client& engine, const firewall_backend& b,
                  const std::vector<tagged_rule>& rules, const holders& held,
                  quarantine_record& rec) {
  std::optional<quarantine_target> now;
  try {
    now = resolve_target(engine, rec.container_id);
  } catch (const error& e) {
    if (e.kind() != errc::not_found) throw;
  }
  if (!now) {
    rec.status = "removed";
    rec.in_force = !rec.rules.empty();
    if (rec.in_force) rec.stale.push_back("the container no longer exists; its rules remain");
    return;
  }
  if (rec.container_name.empty()) rec.container_name = now->container_name;
  rec.current_veths = now->host_veths;
  rec.current_addresses = now->addresses;
  switch (rec.mode) {
    case isolation_mode::network:
      if (b.kind != firewall_kind::tc) {
        check_network(*now, rules, held, rec);
        return;
      }
      rec.in_force = !rec.rules.empty();
      rec.matches_container =
          now->running && rec.in_force && sorted(rec.host_veths) == sorted(now->host_veths);
      rec.status = rec.matches_container ? "enforced"
                   : !now->running       ? (rec.in_force ? "stale" : "waiting")
                   : rec.in_force        ? "stale"
                                         : "missing";
      if (rec.status == "stale") rec.stale.push_back("tc filters are not on its current veths");
      return;
    case isolation_mode::pause: {
      const bool paused = now->running && engine::inspect_state(engine, rec.container_id).paused;
      rec.in_force = rec.matches_container = paused;
      rec.status = paused ? "enforced" : now->running ? "missing" : "waiting";
      return;
    }
    case isolation_mode::disconnect:
      rec.in_force = rec.matches_container = now->networks.empty();
      rec.status = rec.in_force ? "enforced" : "missing";
      if (!rec.in_force) rec.stale.push_back("attached to a network again");
      return;
  }
}

}  // namespace

std::vector<quarantine_record> isolator::list() {
  std::map<std::string, quarantine_record> by_id12;
  std::map<std::string, std::vector<tagged_rule>> rules_of;
  const auto& b = backend();
  if (b.kind != firewall_kind::tc) {
    for (int fam : families(b)) {
      for (auto& rule : find_tagged_rules(save_filter(b, fam))) {
        if (rule.infrastructure()) continue;
        auto& rec = by_id12[rule.container_id12];
        rec.container_id = rule.container_id12;
        rec.case_id = rule.case_id;
        rec.backend = to_string(b.kind);
        rec.rules.push_back(rule.line);
        rules_of[rule.container_id12].push_back(std::move(rule));
      }
    }
  }
  for (const auto& s : all_states(state_dir_)) {
    const std::string& id = s.container_id;
    if (id.size() < 12) continue;
    auto& rec = by_id12[id.substr(0, 12)];
    rec.container_id = id;
    rec.container_name = s.container_name;
    if (!s.case_id.empty()) rec.case_id = s.case_id;
    rec.mode = s.mode;
    rec.backend = s.backend;
    rec.since = s.since;
    rec.host_veths = s.host_veths;
    rec.sharing_namespace = s.sharing_namespace;
    rec.fallback_reason = s.fallback_reason;
    if (s.backend == "tc") {
      for (const auto& v : rec.host_veths) {
        auto f = tc_filters(b, id, v);
        rec.rules.insert(rec.rules.end(), f.begin(), f.end());
      }
    }
  }
  std::vector<quarantine_record> out;
  if (by_id12.empty()) return out;
  const holders held = address_holders(engine_);
  for (auto& [id12, rec] : by_id12) {
    check_record(engine_, b, rules_of[id12], held, rec);
    out.push_back(std::move(rec));
  }
  return out;
}

}  // namespace forensic::response
