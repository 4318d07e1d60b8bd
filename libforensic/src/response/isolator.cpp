#include "forensic/response/isolator.hpp"

#include <map>
#include <nlohmann/json.hpp>

#include "forensic/engine/client.hpp"
#include "forensic/engine/networks.hpp"
#include "forensic/engine/operations.hpp"
#include "forensic/engine/requests.hpp"
#include "forensic/error.hpp"
#include "response/firewall.hpp"
#include "response/quarantine_apply.hpp"
#include "response/quarantine_rules.hpp"
#include "response/state.hpp"

namespace forensic::response {
using namespace detail;
using nlohmann::json;

namespace {

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
  s.sharing_namespace = t.sharing_namespace;
  return s;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
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

}  // namespace

std::vector<detached_network> detail::attached_networks(const json& doc) {
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

namespace {

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
  r.sharing_namespace = t.sharing_namespace;
  const auto recorded = read_state(state_dir_, t.container_id);
  // One case per quarantine: a second case would silently take over the first one's record
  // (and, for rules, its tags), so it is refused; the responder releases first.
  auto refuse_case = [&](const std::string& earlier) {
    r.refused = refusal::case_conflict;
    r.refusal_message = "already quarantined under case " + earlier +
                        (recorded && !recorded->since.empty() ? " since " + recorded->since : "") +
                        ": release it first (--release), or repeat with --case " + earlier;
    r.commands.clear();
    r.changed = false;
    return r;
  };
  if (recorded && !recorded->case_id.empty() && recorded->case_id != o.case_id) {
    return refuse_case(recorded->case_id);
  }
  if (o.mode == isolation_mode::network && !t.unfirewalled.empty()) {
    const std::string why = joined(t.unfirewalled);
    if (!o.fallback) {
      r.refused = refusal::unenforceable;
      r.refusal_message = "a network quarantine cannot hold: " + why +
                          " (use --mode pause or --mode disconnect, or drop --no-fallback)";
      return r;
    }
    r.mode = isolation_mode::pause;
    r.fallback_reason = why;  // printed by the tool as the reason for the pause
  }
  quarantine_state state;
  switch (r.mode) {
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
        for (const auto& v : t.host_veths) {
          for (auto& c : tc_quarantine_commands(v, t.container_id, o.allow, true)) {
            r.commands.push_back("tc " + join_argv(c));
          }
        }
        if (recorded && recorded->backend == "tc") {
          r.notes.push_back("already quarantined by tc: nothing changed");
          return r;
        }
        r.changed = true;
        if (!o.dry_run) state.tc_clsact_added = tc_quarantine(b, t, o.allow);
      } else {
        std::string tagged_case;  // rules without a record (another state directory)
        r.changed =
            apply_rules(b, t, o.allow, o.case_id, o.dry_run, r.commands, r.notes, &tagged_case);
        if (!tagged_case.empty()) return refuse_case(tagged_case);
        if (!r.changed)
          r.notes.push_back("already quarantined with the same rules: nothing changed");
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
  state.mode = r.mode;
  state.fallback_reason = r.fallback_reason;
  if (!o.dry_run && (r.changed || !recorded)) write_state(state_dir_, t.container_id, state);
  return r;
}

namespace {

// Undoes what the record says (pause, disconnect, tc) and every tagged rule.
void release_recorded(engine::client& engine, isolator& self, const quarantine_target& t,
                      const std::optional<quarantine_state>& state, bool dry_run,
                      isolation_result& r) {
  const std::string id = t.container_id;
  if (state && state->mode == isolation_mode::pause) {
    r.backend = "engine";
    r.commands.push_back(engine::request_line(engine::unpause_request(id)));
    if (engine::inspect_state(engine, id).paused && !dry_run) engine::unpause(engine, id);
  } else if (state && state->mode == isolation_mode::disconnect) {
    r.backend = "engine";
    for (const auto& n : state->networks.value_or(std::vector<detached_network>{})) {
      const auto connect = engine::connect_request(n.id, id, endpoint_config(id, n));
      r.commands.push_back(engine::request_line(connect) + " " + connect.body);
      if (!dry_run) engine::connect_network(engine, n.id, id, endpoint_config(id, n));
    }
  } else if (state && state->backend == "tc") {
    r.backend = "tc";
    r.commands = tc_release(self.backend(), id, state->host_veths,
                            state->tc_clsact_added.value_or(std::vector<std::string>{}), dry_run);
  }
  // Tagged iptables rules are removed whatever the record says: they are their own record.
  if (self.backend().kind != firewall_kind::tc) {
    auto removed = remove_rules(self.backend(), id, dry_run);
    if (!removed.empty() && r.backend.empty()) r.backend = to_string(self.backend().kind);
    r.commands.insert(r.commands.end(), removed.begin(), removed.end());
  }
}

}  // namespace

isolation_result isolator::release(const quarantine_target& t, bool dry_run) {
  isolation_result r;
  r.container_id = t.container_id;
  r.container_name = t.container_name;
  r.dry_run = dry_run;
  const auto state = read_state(state_dir_, t.container_id);
  if (state) r.mode = state->mode;
  const std::string id = t.container_id;
  // The record goes first, so that a supervisor (`follow`) seeing the events of the release
  // does not put the quarantine back; it is written again if the release fails.
  if (!dry_run && state) remove_state(state_dir_, id);
  try {
    release_recorded(engine_, *this, t, state, dry_run, r);
  } catch (...) {
    if (!dry_run && state) write_state(state_dir_, id, *state);
    throw;
  }
  r.changed = !r.commands.empty();
  if (!r.changed) r.notes.push_back("not quarantined by ir-isolate: nothing to release");
  return r;
}

}  // namespace forensic::response
