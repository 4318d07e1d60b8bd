#pragma once
// The engine's event history (GET /events with an `until`, so the call returns instead of
// following the live stream). dockerd keeps a bounded in-memory history, lost on restart.
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "forensic/engine/client.hpp"

namespace forensic::engine {

struct event_query {
  std::optional<std::chrono::system_clock::time_point> since;  // whole seconds are sent
  std::optional<std::chrono::system_clock::time_point> until;
  filter_list filters;  // {"type", "network"}, {"container", "<id>"}, ...
};

request events_request(const event_query& query);
// The body as sent: one JSON object per line.
std::string events_raw(client& engine, const event_query& query);
// The body parsed; lines that are not JSON objects are skipped.
std::vector<nlohmann::json> events(client& engine, const event_query& query);
std::vector<nlohmann::json> parse_events(const std::string& body);

}  // namespace forensic::engine
