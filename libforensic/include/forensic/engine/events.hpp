#pragma once
// The engine's event history: GET /events with an `until`, which makes dockerd replay what it
// still holds for the window and close the stream instead of following it live.
//
// dockerd keeps events in memory only, in a ring of fixed size (256 events in older engines,
// 1000 in newer ones), and none across a restart: a window that reaches further back than the
// ring answers with what is left, without saying so. Callers that need the whole window compare
// the oldest event returned with the start they asked for (or look for an event that must be
// there, such as the container's own "create").
#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forensic/engine/client.hpp"

namespace forensic::engine {

struct event_query {
  std::optional<std::chrono::system_clock::time_point> since;
  std::optional<std::chrono::system_clock::time_point> until;
  // Engine-side filters, as `docker events --filter`: {"container", id}, {"type", "container"},
  // {"event", "exec_create"}. Values of one key are alternatives; keys must all match.
  filter_list filters;
};

// One event as the engine sent it.
struct event {
  std::string raw;             // the JSON object exactly as received, without its newline
  nlohmann::json doc;          // the same, parsed
  std::int64_t time_nano = 0;  // "timeNano" ("time" in seconds on old engines; 0 when absent)
  std::string type;            // "container", "image", "network", ...
  std::string action;          // "create", "exec_create: sh -c id", "die", ...
  std::string actor_id;        // Actor.ID: a container id for container events
};

// The request: times as seconds since the epoch, with a nine-digit fraction when they have one.
request events_request(const event_query& query);
// The events of the window, in the engine's order (oldest first). Throws forensic::error
// (engine errors as client::call does; errc::protocol when a line is not a JSON object;
// errc::invalid_argument when the window ends before it starts).
std::vector<event> events(client& engine, const event_query& query);

// The live stream (no `until`): `on_event` is called for each event as the engine sends it,
// until the engine closes the stream or the client's cancel flag turns true (errc::cancelled).
// The stream may stay silent for hours: its read timeout is a day, not the client's. Parse
// errors throw as parse_events does. `on_event` must not use `engine` (it is busy reading):
// give it another client.
void follow_events(client& engine, const event_query& query,
                   const std::function<void(const event&)>& on_event);

// Splits an /events body: one JSON object per line. Empty lines are skipped; any other line that
// is not a JSON object throws errc::protocol naming its number.
std::vector<event> parse_events(std::string_view body);

// "seconds" or "seconds.nanoseconds" since the epoch: the form /events takes for since and until.
std::string unix_timestamp(std::chrono::system_clock::time_point t);

}  // namespace forensic::engine
