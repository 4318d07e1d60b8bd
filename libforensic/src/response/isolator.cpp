#include "forensic/response/isolator.hpp"

#include <map>
#include <nlohmann/json.hpp>

#include "forensic/engine/client.hpp"
#include "forensic/error.hpp"
#include "response/firewall.hpp"
#include "response/quarantine_rules.hpp"
#include "response/state.hpp"

namespace forensic::response {
using namespace detail;
using nlohmann::json;

namespace {

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
  return out;
}

json state_of(const quarantine_target& t, const quarantine_options& o, const std::string& backend) {
  return {{"schema", "forensic.quarantine/1"},
          {"container_id", t.container_id},
          {"container_name", t.container_name},
          {"case", o.case_id},
          {"mode", to_string(o.mode)},
          {"backend", backend},
          {"host_veths", t.host_veths},
          {"addresses", t.addresses},
          {"allow", o.allow},
          {"since", utc_now()}};
}

// Removes every rule tagged for the container, in each family; returns the restore lines.
std::vector<std::string> remove_rules(const firewall_backend& b, const std::string& id,
                                      bool dry_run) {
  std::vector<std::string> done;
  for (int fam : families(b)) {
    const std::string save = save_filter(b, fam);
    const std::string script = removal_script(save, find_tagged_rules(save, id.substr(0, 12)));
    if (script.empty()) continue;
    for (auto& l : script_lines(script))
      done.push_back("ip" + std::string(fam == 6 ? "6" : "") + "tables: " + l);
    if (!dry_run) restore_filter(b, fam, script);
  }
  return done;
}

void isolate_iptables(const firewall_backend& b, const quarantine_target& t,
                      const quarantine_options& o, isolation_result& r) {
  struct plan {
    int family;
    std::string script;
    bool in_place;
  };
  std::vector<plan> plans;
  const std::string id12 = t.container_id.substr(0, 12);
  for (int fam : families(b)) {
    const std::string save = save_filter(b, fam);
    const auto facts = read_chain_facts(save);
    const auto existing = find_tagged_rules(save, id12);
    const auto lines = quarantine_rule_lines(t, o.allow, o.case_id, fam);
    bool in_place =
        facts.docker_user_exists && facts.docker_user_jump_first && existing.size() == lines.size();
    for (const auto& e : existing) in_place = in_place && e.case_id == o.case_id;
    plans.push_back({fam, restore_script(facts, existing, lines), in_place});
    const std::string who = fam == 6 ? "ip6tables: " : "iptables: ";
    for (auto& l : script_lines(plans.back().script)) r.commands.push_back(who + l);
  }
  bool all_in_place = true;
  for (const auto& p : plans) all_in_place = all_in_place && p.in_place;
  if (all_in_place) {
    r.notes.push_back("already quarantined with the same rules: nothing changed");
    return;
  }
  r.changed = true;
  if (o.dry_run) return;
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
}

std::string raw_inspect_path(const std::string& id) { return "/containers/" + id + "/json"; }

void isolate_pause(engine::client& engine, const quarantine_target& t, const quarantine_options& o,
                   isolation_result& r) {
  auto doc = engine.get_json(raw_inspect_path(t.container_id));
  const bool paused = doc.contains("State") && doc["State"].value("Paused", false);
  r.commands.push_back("POST /containers/" + t.container_id + "/pause");
  if (paused) {
    r.notes.push_back("already paused: nothing changed");
    return;
  }
  r.changed = true;
  if (!o.dry_run) engine.post_json("/containers/" + t.container_id + "/pause");
}

json connect_body(const std::string& id, const json& net) {
  json endpoint = json::object();
  json aliases = json::array();
  for (const auto& a : net.value("aliases", json::array())) {
    if (a.is_string() && a.get<std::string>() != id.substr(0, 12)) aliases.push_back(a);
  }
  if (!aliases.empty()) endpoint["Aliases"] = aliases;
  // A fixed address is only accepted on networks whose subnet the user configured, which is
  // exactly when the original endpoint had an IPAMConfig.
  if (net.value("user_ipam", false)) {
    json ipam = json::object();
    if (!net.value("ipv4", "").empty()) ipam["IPv4Address"] = net["ipv4"];
    if (!net.value("ipv6", "").empty()) ipam["IPv6Address"] = net["ipv6"];
    endpoint["IPAMConfig"] = ipam;
  }
  return {{"Container", id}, {"EndpointConfig", endpoint}};
}

json isolate_disconnect(engine::client& engine, const quarantine_target& t,
                        const quarantine_options& o, isolation_result& r) {
  auto doc = engine.get_json(raw_inspect_path(t.container_id));
  json nets = json::array();
  if (doc.contains("NetworkSettings") && doc["NetworkSettings"].is_object() &&
      doc["NetworkSettings"].contains("Networks") &&
      doc["NetworkSettings"]["Networks"].is_object()) {
    for (const auto& [name, n] : doc["NetworkSettings"]["Networks"].items()) {
      if (!n.is_object()) continue;
      nets.push_back({{"name", name},
                      {"id", n.value("NetworkID", "")},
                      {"ipv4", n.value("IPAddress", "")},
                      {"ipv6", n.value("GlobalIPv6Address", "")},
                      {"aliases", n.contains("Aliases") && n["Aliases"].is_array() ? n["Aliases"]
                                                                                   : json::array()},
                      {"user_ipam", n.contains("IPAMConfig") && n["IPAMConfig"].is_object() &&
                                        !n["IPAMConfig"].empty()}});
    }
  }
  if (nets.empty()) {
    r.notes.push_back("attached to no network: nothing to disconnect");
    return nets;
  }
  for (const auto& n : nets) {
    r.commands.push_back("POST /networks/" + n["id"].get<std::string>() + "/disconnect " +
                         json{{"Container", t.container_id}}.dump());
  }
  r.changed = true;
  if (o.dry_run) return nets;
  std::vector<json> done;
  try {
    for (const auto& n : nets) {
      engine.post_json("/networks/" + n["id"].get<std::string>() + "/disconnect",
                       {{"Container", t.container_id}, {"Force", false}});
      done.push_back(n);
    }
  } catch (...) {
    for (const auto& n : done) {
      try {
        engine.post_json("/networks/" + n["id"].get<std::string>() + "/connect",
                         connect_body(t.container_id, n));
      } catch (...) {  // the first error is the one to report
      }
    }
    throw;
  }
  r.notes.push_back("the container's veths are gone: capture on them is no longer possible");
  return nets;
}

}  // namespace

isolator::isolator(engine::client& engine, std::optional<firewall_kind> backend,
                   std::string state_dir)
    : engine_(engine), forced_(backend), state_dir_(std::move(state_dir)) {}

const firewall_backend& isolator::backend() {
  if (!backend_) backend_ = detect_backend(forced_);
  return *backend_;
}

isolation_result isolator::isolate(const quarantine_target& t, const quarantine_options& o) {
  validate_case_id(o.case_id);
  if (t.container_id.size() < 12) throw error(errc::invalid_argument, "no container id to isolate");
  for (const auto& a : o.allow) {
    if (address_family(a) == 0) {
      throw error(errc::invalid_argument,
                  "--allow '" + a + "' is not an IPv4/IPv6 address or CIDR");
    }
  }
  isolation_result r;
  r.container_id = t.container_id;
  r.container_name = t.container_name;
  r.mode = o.mode;
  r.dry_run = o.dry_run;
  json state;
  switch (o.mode) {
    case isolation_mode::network: {
      if (t.host_veths.empty() && t.addresses.empty()) {
        throw error(errc::not_found, "container " + t.container_id.substr(0, 12) +
                                         " has neither a host veth nor an address to match");
      }
      const auto& b = backend();
      r.backend = to_string(b.kind);
      r.notes.push_back("backend: " + b.reason);
      state = state_of(t, o, r.backend);
      if (b.kind == firewall_kind::tc) {
        if (t.host_veths.empty()) {
          throw error(errc::not_found, "the tc fallback needs the container's host veth");
        }
        auto old = read_state(state_dir_, t.container_id);
        for (const auto& v : t.host_veths) {
          for (auto& c : tc_quarantine_commands(v, t.container_id, o.allow, true)) {
            r.commands.push_back("tc " + join_argv(c));
          }
        }
        if (old && old->value("backend", "") == "tc") {
          r.notes.push_back("already quarantined by tc: nothing changed");
          return r;
        }
        r.changed = true;
        if (!o.dry_run) state["tc_clsact_added"] = tc_quarantine(b, t, o.allow);
      } else {
        isolate_iptables(b, t, o, r);
      }
      break;
    }
    case isolation_mode::pause:
      r.backend = "engine";
      state = state_of(t, o, r.backend);
      isolate_pause(engine_, t, o, r);
      break;
    case isolation_mode::disconnect:
      r.backend = "engine";
      state = state_of(t, o, r.backend);
      state["networks"] = isolate_disconnect(engine_, t, o, r);
      break;
  }
  if (!o.dry_run && (r.changed || !read_state(state_dir_, t.container_id))) {
    write_state(state_dir_, t.container_id, state);
  }
  return r;
}

isolation_result isolator::release(const quarantine_target& t, bool dry_run) {
  isolation_result r;
  r.container_id = t.container_id;
  r.container_name = t.container_name;
  r.dry_run = dry_run;
  auto state = read_state(state_dir_, t.container_id);
  if (state) r.mode = parse_isolation_mode(state->value("mode", "network"));
  const std::string id = t.container_id;
  if (state && state->value("mode", "") == "pause") {
    r.backend = "engine";
    r.commands.push_back("POST /containers/" + id + "/unpause");
    auto doc = engine_.get_json(raw_inspect_path(id));
    if (doc.contains("State") && doc["State"].value("Paused", false) && !dry_run) {
      engine_.post_json("/containers/" + id + "/unpause");
    }
  } else if (state && state->value("mode", "") == "disconnect") {
    r.backend = "engine";
    for (const auto& n : state->value("networks", json::array())) {
      r.commands.push_back("POST /networks/" + n.value("id", "") + "/connect " +
                           connect_body(id, n).dump());
      if (!dry_run)
        engine_.post_json("/networks/" + n.value("id", "") + "/connect", connect_body(id, n));
    }
  } else if (state && state->value("backend", "") == "tc") {
    r.backend = "tc";
    auto veths = state->value("host_veths", std::vector<std::string>{});
    auto added = state->value("tc_clsact_added", std::vector<std::string>{});
    r.commands = tc_release(backend(), id, veths, added, dry_run);
  }
  // Tagged iptables rules are removed whatever the record says: they are their own record.
  if (backend().kind != firewall_kind::tc) {
    auto removed = remove_rules(backend(), id, dry_run);
    if (!removed.empty() && r.backend.empty()) r.backend = to_string(backend().kind);
    r.commands.insert(r.commands.end(), removed.begin(), removed.end());
  }
  r.changed = !r.commands.empty();
  if (!r.changed) r.notes.push_back("not quarantined by ir-isolate: nothing to release");
  if (!dry_run && state) remove_state(state_dir_, id);
  return r;
}

std::vector<quarantine_record> isolator::list() {
  std::map<std::string, quarantine_record> by_id12;
  const auto& b = backend();
  if (b.kind != firewall_kind::tc) {
    for (int fam : families(b)) {
      for (auto& rule : find_tagged_rules(save_filter(b, fam))) {
        if (rule.jump) continue;
        auto& rec = by_id12[rule.container_id12];
        rec.container_id = rule.container_id12;
        rec.case_id = rule.case_id;
        rec.backend = to_string(b.kind);
        rec.rules.push_back(rule.line);
      }
    }
  }
  for (const auto& s : all_states(state_dir_)) {
    const std::string id = s.value("container_id", "");
    if (id.size() < 12) continue;
    const std::string mode = s.value("mode", "network"), backend_name = s.value("backend", "");
    const bool has_rules = by_id12.count(id.substr(0, 12)) > 0;
    if (mode == "network" && backend_name != "tc" && !has_rules) continue;  // stale record
    auto& rec = by_id12[id.substr(0, 12)];
    rec.container_id = id;
    rec.container_name = s.value("container_name", "");
    rec.case_id = s.value("case", rec.case_id);
    rec.mode = parse_isolation_mode(mode);
    rec.backend = backend_name;
    rec.since = s.value("since", "");
    rec.host_veths = s.value("host_veths", std::vector<std::string>{});
    if (backend_name == "tc") {
      for (const auto& v : rec.host_veths) {
        auto f = tc_filters(b, id, v);
        rec.rules.insert(rec.rules.end(), f.begin(), f.end());
      }
    }
  }
  std::vector<quarantine_record> out;
  for (auto& [k, v] : by_id12) out.push_back(std::move(v));
  return out;
}

}  // namespace forensic::response
