// ir-locate --at: the engine's event history replayed up to a moment.
#include "forensic/net/history.hpp"

#include <charconv>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "forensic/engine/client.hpp"
#include "forensic/engine/events.hpp"
#include "forensic/error.hpp"
#include "forensic/io/time.hpp"
#include "net/engine_view.hpp"

namespace forensic::net {
namespace {

using clock = std::chrono::system_clock;
using nlohmann::json;

std::string rfc3339(clock::time_point t) {
  return io::format_rfc3339(t, io::time_precision::seconds);
}

struct attachment_event {
  long long nanos = 0;
  std::string action;  // connect, disconnect
  std::string network_id, container_id;
};

bool in_network(const io::ip_address& a, const detail::docker_network& n) {
  for (const auto& s : n.subnets) {
    if (auto sub = io::parse_subnet(s); sub && sub->contains(a)) return true;
  }
  return false;
}

}  // namespace

clock::time_point parse_time(std::string_view text, clock::time_point now) {
  const std::string original(text);
  auto bad = [&] {
    return error(errc::invalid_argument, "time '" + original +
                                             "' is neither RFC 3339 (2026-11-23T09:00:00Z) nor "
                                             "'<N>s|m|h|d ago' (15m ago)");
  };
  if (text.ends_with(" ago")) {
    text.remove_suffix(4);
    long long n = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || p + 1 != text.data() + text.size() || n < 0) throw bad();
    const char unit = *p;
    const long long seconds = unit == 's'   ? n
                              : unit == 'm' ? n * 60
                              : unit == 'h' ? n * 3600
                              : unit == 'd' ? n * 86400
                                            : -1;
    if (seconds < 0) throw bad();
    return now - std::chrono::seconds(seconds);
  }
  const auto at = io::parse_rfc3339(text);
  if (!at) throw bad();
  return *at;
}

locate_result locate_at(engine::client& engine, const locate_options& options,
                        clock::time_point at) {
  auto address = io::parse_ip(options.address);
  if (!address) {
    throw error(errc::invalid_argument, "'" + options.address + "' is not an IPv4 or IPv6 address");
  }
  locate_result r;
  r.address = *address;
  const auto snap = detail::take_snapshot(&engine, false);
  if (!snap.available)
    throw error(errc::engine_unreachable, "--at needs the engine's event history: " + snap.failure);
  std::set<std::string> networks;
  for (const auto& n : snap.networks) {
    if (in_network(*address, n)) networks.insert(n.id);
  }
  if (networks.empty()) r.warnings.push_back("no engine network contains " + address->to_string());

  const auto now = clock::now();
  const auto events =
      engine::events(engine, {.since = clock::time_point{},
                              .until = now,
                              .filters = {{"type", "network"}, {"type", "container"}}});
  const long long at_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
  std::map<std::string, std::string> names;  // container id -> name from events
  std::vector<attachment_event> attach;
  long long oldest = 0;
  for (const auto& ev : events) {
    const json& e = ev.doc;
    const long long ns = e.value("timeNano", 0LL);
    if (!oldest || (ns && ns < oldest)) oldest = ns;
    const json actor = e.value("Actor", json::object());
    const json attrs = actor.value("Attributes", json::object());
    if (e.value("Type", "") == "container" && attrs.contains("name")) {
      names[actor.value("ID", "")] = attrs.value("name", "");
    }
    const std::string action = e.value("Action", "");
    if (e.value("Type", "") == "network" && (action == "connect" || action == "disconnect") &&
        networks.count(actor.value("ID", ""))) {
      attach.push_back({ns, action, actor.value("ID", ""), attrs.value("container", "")});
    }
  }
  if (oldest) {
    r.warnings.push_back("the engine's event history reaches back to " +
                         rfc3339(clock::time_point(std::chrono::duration_cast<clock::duration>(
                             std::chrono::nanoseconds(oldest)))) +
                         " (it keeps a bounded in-memory history, lost when dockerd restarts)");
    if (oldest > at_ns) {
      r.warnings.push_back(
          "the asked time " + rfc3339(at) +
          " is older than that history: containers attached before it are not known");
    }
  } else {
    r.warnings.push_back("the engine returned no events: its history is empty (restarted?)");
  }
  // Replay: who was attached at `at`, and who changed attachment since.
  std::map<std::string, long long> attached_at;  // container -> connect time, at `at`
  std::set<std::string> changed_since;
  for (const auto& e : attach) {
    if (e.nanos <= at_ns) {
      if (e.action == "connect")
        attached_at[e.container_id] = e.nanos;
      else
        attached_at.erase(e.container_id);
    } else {
      changed_since.insert(e.container_id);
    }
  }
  auto add = [&](const std::string& id, const std::string& why) {
    locate_match m;
    m.kind = "history";
    m.container_id = id;
    const auto* c = snap.find(id);
    m.container_name = c ? c->name() : names.count(id) ? names[id] : "";
    m.summary = (m.container_name.empty() ? id.substr(0, 12) : m.container_name) + ": " + why;
    r.matches.push_back(std::move(m));
  };
  for (const auto& [id, since] : attached_at) {
    const auto* c = snap.find(id);
    bool holds_now = false;
    if (c) {
      for (const auto& a : c->networks) {
        holds_now = holds_now || io::same_host(a.ipv4, *address) || io::same_host(a.ipv6, *address);
      }
    }
    const std::string when = rfc3339(clock::time_point(
        std::chrono::duration_cast<clock::duration>(std::chrono::nanoseconds(since))));
    if (holds_now && !changed_since.count(id)) {
      add(id, "held " + address->to_string() + " at " + rfc3339(at) +
                  " (attached continuously since " + when + " and holds it now)");
    } else if (!c || changed_since.count(id)) {
      add(id, "was attached to the network of " + address->to_string() + " at " + rfc3339(at) +
                  " (since " + when +
                  "); its address then is not in the engine's history: a possible holder");
    }
    // Still attached, unchanged, and holding another address now: it did not hold ADDR.
  }
  // Who holds ADDR now is never left out: either it was attached before the history begins
  // (it may have held ADDR then), or its attachment is in the history, after the asked time.
  std::set<std::string> named;
  for (const auto& m : r.matches) named.insert(m.container_id);
  for (const auto& c : snap.containers) {
    bool holds_now = false;
    for (const auto& a : c.networks) {
      holds_now = holds_now || io::same_host(a.ipv4, *address) || io::same_host(a.ipv6, *address);
    }
    if (!holds_now || named.count(c.id)) continue;
    long long attached = 0;  // its last connect to ADDR's network in the history
    for (const auto& e : attach) {
      if (e.container_id == c.id) attached = e.action == "connect" ? e.nanos : 0;
    }
    locate_match m;
    m.container_id = c.id;
    m.container_name = c.name();
    if (attached > at_ns) {
      m.kind = "current";
      m.summary = c.name() + ": holds " + address->to_string() + " now, attached since " +
                  rfc3339(clock::time_point(std::chrono::duration_cast<clock::duration>(
                      std::chrono::nanoseconds(attached)))) +
                  ", after " + rfc3339(at) + ": not its holder then";
    } else {
      m.kind = "history";
      m.summary = c.name() + ": holds " + address->to_string() +
                  " now, attached before the engine's history begins: a possible holder at " +
                  rfc3339(at);
    }
    r.matches.push_back(std::move(m));
  }
  r.engine_available = true;
  return r;
}

}  // namespace forensic::net
