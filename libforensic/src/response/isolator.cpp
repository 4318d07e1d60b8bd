#include "forensic/response/isolator.hpp"

#include <map>
#include <nlohmann/json.hpp>

#include "forensic/engine/client.hpp"
#include "forensic/engine/networks.hpp"
#include "forensic/engine/operations.hpp"
#include "forensic/engine/requests.hpp"
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

quarantine_state state_of(const quarantine_target& t, const quarantine_options& o,
                          const std::string& backend) {
  quarantine_state s;
  s.container_id = t.container_id;
  s.container_name = t.container_name;
  s.case_id = o.case_id;
  s.mode = o.mode;
  s.backend = backend;
  s.host_veths = t.host_veths;
  s.addresses = t.addresses;
  s.allow = o.allow;
  s.since = utc_now();
  return s;
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

void isolate_pause(engine::client& engine, const quarantine_target& t, const quarantine_options& o,
                   isolation_result& r) {
  const bool paused = engine::inspect_state(engine, t.container_id).paused;
  r.commands.push_back(engine::request_line(engine::pause_request(t.container_id)));
  if (paused) {
    r.notes.push_back("already paused: nothing changed");
    return;
  }
  r.changed = true;
  if (!o.dry_run) engine::pause(engine, t.container_id);
}

// The EndpointConfig that reattaches the container as it was.
json endpoint_config(const std::string& id, const detached_network& net) {
  json endpoint = json::object();
  json aliases = json::array();
  for (const auto& a : net.aliases) {
    if (a != id.substr(0, 12)) aliases.push_back(a);
  }
  if (!aliases.empty()) endpoint["Aliases"] = aliases;
  // A fixed address is only accepted on networks whose subnet the user configured, which is
  // exactly when the original endpoint had an IPAMConfig.
  if (net.user_ipam) {
    json ipam = json::object();
    if (!net.ipv4.empty()) ipam["IPv4Address"] = net.ipv4;
    if (!net.ipv6.empty()) ipam["IPv6Address"] = net.ipv6;
    endpoint["IPAMConfig"] = ipam;
  }
  return endpoint;
}

std::string text(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The networks of an inspect document, with what reconnecting to each needs.
std::vector<detached_network> attached_networks(const json& doc) {
  std::vector<detached_network> nets;
  if (!doc.is_object() || !doc.contains("NetworkSettings") || !doc["NetworkSettings"].is_object() ||
      !doc["NetworkSettings"].contains("Networks") ||
      !doc["NetworkSettings"]["Networks"].is_object()) {
    return nets;
  }
  for (const auto& [name, n] : doc["NetworkSettings"]["Networks"].items()) {
    if (!n.is_object()) continue;
    detached_network d;
    d.name = name;
    d.id = text(n, "NetworkID");
    d.ipv4 = text(n, "IPAddress");
    d.ipv6 = text(n, "GlobalIPv6Address");
    if (n.contains("Aliases") && n["Aliases"].is_array()) {
      for (const auto& a : n["Aliases"]) {
        if (a.is_string()) d.aliases.push_back(a.get<std::string>());
      }
    }
    d.user_ipam =
        n.contains("IPAMConfig") && n["IPAMConfig"].is_object() && !n["IPAMConfig"].empty();
    nets.push_back(std::move(d));
  }
  return nets;
}

std::vector<detached_network> isolate_disconnect(engine::client& engine, const quarantine_target& t,
                                                 const quarantine_options& o, isolation_result& r) {
  auto nets = attached_networks(engine::inspect_raw(engine, t.container_id));
  if (nets.empty()) {
    r.notes.push_back("attached to no network: nothing to disconnect");
    return nets;
  }
  for (const auto& n : nets) {
    r.commands.push_back(engine::request_line(engine::disconnect_request(n.id, t.container_id)) +
                         " " + json{{"Container", t.container_id}}.dump());
  }
  r.changed = true;
  if (o.dry_run) return nets;
  std::vector<const detached_network*> done;
  try {
    for (const auto& n : nets) {
      engine::disconnect_network(engine, n.id, t.container_id);
      done.push_back(&n);
    }
  } catch (...) {
    for (const auto* n : done) {
      try {
        engine::connect_network(engine, n->id, t.container_id, endpoint_config(t.container_id, *n));
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
  quarantine_state state;
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
        if (old && old->backend == "tc") {
          r.notes.push_back("already quarantined by tc: nothing changed");
          return r;
        }
        r.changed = true;
        if (!o.dry_run) state.tc_clsact_added = tc_quarantine(b, t, o.allow);
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
      state.networks = isolate_disconnect(engine_, t, o, r);
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
  const auto state = read_state(state_dir_, t.container_id);
  if (state) r.mode = state->mode;
  const std::string id = t.container_id;
  if (state && state->mode == isolation_mode::pause) {
    r.backend = "engine";
    r.commands.push_back(engine::request_line(engine::unpause_request(id)));
    if (engine::inspect_state(engine_, id).paused && !dry_run) engine::unpause(engine_, id);
  } else if (state && state->mode == isolation_mode::disconnect) {
    r.backend = "engine";
    for (const auto& n : state->networks.value_or(std::vector<detached_network>{})) {
      const auto connect = engine::connect_request(n.id, id, endpoint_config(id, n));
      r.commands.push_back(engine::request_line(connect) + " " + connect.body);
      if (!dry_run) engine::connect_network(engine_, n.id, id, endpoint_config(id, n));
    }
  } else if (state && state->backend == "tc") {
    r.backend = "tc";
    r.commands = tc_release(backend(), id, state->host_veths,
                            state->tc_clsact_added.value_or(std::vector<std::string>{}), dry_run);
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
    const std::string& id = s.container_id;
    if (id.size() < 12) continue;
    const bool has_rules = by_id12.count(id.substr(0, 12)) > 0;
    if (s.mode == isolation_mode::network && s.backend != "tc" && !has_rules) continue;  // stale
    auto& rec = by_id12[id.substr(0, 12)];
    rec.container_id = id;
    rec.container_name = s.container_name;
    if (!s.case_id.empty()) rec.case_id = s.case_id;
    rec.mode = s.mode;
    rec.backend = s.backend;
    rec.since = s.since;
    rec.host_veths = s.host_veths;
    if (s.backend == "tc") {
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
