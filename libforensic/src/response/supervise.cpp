// Keeping a quarantine on its container: `reconcile` compares the record with the container as
// it is now and rewrites what no longer matches; `follow` does it on each engine event that can
// change the container's links (start, stop, removal, network connect/disconnect) or undo a
// pause (unpause).
#include <algorithm>

#include "forensic/engine/containers.hpp"
#include "forensic/engine/events.hpp"
#include "forensic/engine/networks.hpp"
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

std::string listed(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out.empty() ? "none" : out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

std::vector<std::string> isolator::reconcile(const std::string& container_id) {
  std::vector<std::string> done;
  auto state = read_state(state_dir_, container_id);
  if (!state) return done;
  const std::string& id = state->container_id;
  std::optional<quarantine_target> now;
  try {
    now = resolve_target(engine_, id);
  } catch (const error& e) {
    if (e.kind() != errc::not_found) throw;
  }
  const bool running = now && now->running;
  switch (state->mode) {
    case isolation_mode::network: {
      if (state->backend == "tc") {
        // The filters lived on the old veth and went with it.
        if (!running || sorted(now->host_veths) == sorted(state->host_veths)) return done;
        state->tc_clsact_added = tc_quarantine(backend(), *now, state->allow);
        state->host_veths = now->host_veths;
        write_state(state_dir_, id, *state);
        done.push_back("tc drop re-applied on " + listed(now->host_veths));
        return done;
      }
      if (!running) {
        // Its old address may be handed to another container: the rules go while it is down.
        if (!remove_rules(backend(), id, false).empty()) {
          done.push_back(std::string("rules removed while it is ") +
                         (now ? "not running" : "removed") +
                         " (they would block the next holder of its address)");
        }
        return done;
      }
      if (!now->unfirewalled.empty()) {
        remove_rules(backend(), id, false);
        if (!engine::inspect_state(engine_, id).paused) engine::pause(engine_, id);
        state->mode = isolation_mode::pause;
        state->backend = "engine";
        for (const auto& u : now->unfirewalled) {
          state->fallback_reason += (state->fallback_reason.empty() ? "" : "; ") + u;
        }
        write_state(state_dir_, id, *state);
        done.push_back("paused: a network quarantine cannot hold any more (" +
                       listed(now->unfirewalled) + ")");
        return done;
      }
      std::vector<std::string> commands, notes;
      if (apply_rules(backend(), *now, state->allow, state->case_id, false, commands, notes)) {
        state->host_veths = now->host_veths;
        state->addresses = now->addresses;
        state->sharing_namespace = now->sharing_namespace;
        write_state(state_dir_, id, *state);
        done.push_back("rules re-applied for veth " + listed(now->host_veths) + ", address " +
                       listed(now->addresses));
      }
      return done;
    }
    case isolation_mode::pause:
      if (running && !engine::inspect_state(engine_, id).paused) {
        engine::pause(engine_, id);
        done.push_back("paused again");
      }
      return done;
    case isolation_mode::disconnect: {
      if (!now || now->networks.empty()) return done;
      auto attached = attached_networks(engine::inspect_raw(engine_, id));
      auto recorded = state->networks.value_or(std::vector<detached_network>{});
      for (const auto& n : attached) {
        engine::disconnect_network(engine_, n.id, id);
        const bool known = std::any_of(recorded.begin(), recorded.end(),
                                       [&](const auto& r) { return r.id == n.id; });
        if (!known) recorded.push_back(n);
        done.push_back("disconnected again from " + n.name);
      }
      state->networks = std::move(recorded);
      write_state(state_dir_, id, *state);
      return done;
    }
  }
  return done;
}

void isolator::follow(engine::client& events_engine, const std::atomic<bool>& stop,
                      const std::function<void(const std::string&)>& report) {
  auto run = [&](const std::string& id, const std::string& why) {
    const std::string id12 = id.substr(0, 12);
    try {
      for (const auto& line : reconcile(id))
        report(utc_now() + " " + id12 + " " + why + ": " + line);
    } catch (const error& e) {
      if (e.kind() == errc::cancelled) throw;
      report(utc_now() + " " + id12 + " " + why + ": could not re-apply: " + e.what());
    }
  };
  // Events from before the first reconciliation are replayed: nothing falls between the two.
  engine::event_query query;
  query.since = std::chrono::system_clock::now();
  query.filters = {{"type", "container"}, {"type", "network"},    {"event", "start"},
                   {"event", "die"},      {"event", "destroy"},   {"event", "unpause"},
                   {"event", "connect"},  {"event", "disconnect"}};
  for (const auto& s : all_states(state_dir_)) run(s.container_id, "start-up");
  report(utc_now() + " following the engine's events for " +
         std::to_string(all_states(state_dir_).size()) + " recorded quarantine(s)");
  events_engine.set_cancel_flag(&stop);
  engine::follow_events(events_engine, query, [&](const engine::event& e) {
    std::string id = e.actor_id;
    if (e.type == "network") {
      const auto& actor = e.doc.value("Actor", nlohmann::json::object());
      const auto& attrs = actor.value("Attributes", nlohmann::json::object());
      id = attrs.value("container", std::string());
    }
    if (id.size() < 12 || !read_state(state_dir_, id)) return;
    run(id, e.type + " " + e.action);
  });
}

}  // namespace forensic::response
