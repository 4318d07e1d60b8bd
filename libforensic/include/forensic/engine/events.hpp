#pragma once
// The engine's event history: GET /events with both `since` and `until`, which makes dockerd
// replay what it still holds for that window and close the stream, instead of following it.
//
// dockerd keeps events in memory only, in a ring of fixed size (256 events in older engines,
// 1000 in newer ones), and none across a restart: a window that reaches further back than the
// ring answers with what is left, without saying so. Callers that need the whole window compare
// the oldest event returned with the start they asked for (or look for an event that must be
// there, such as the container's own "create").
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace forensic::engine {

class client;

struct event_query {
  std::chrono::system_clock::time_point since;
  std::chrono::system_clock::time_point until;
  // Engine-side filters, as `docker events --filter`: {"container", id}, {"type", "container"},
  // {"event", "exec_create"}. Values of one key are alternatives; keys must all match. An
  // "event" filter naming exec_create, exec_start or health_status matches by prefix (the
  // engine's rule: their actions carry the command, "exec_create: sh -c ...").
  std::vector<std::pair<std::string, std::string>> filters;
};

// One event as the engine sent it.
struct event_line {
  std::string raw;             // the JSON object exactly as received, without its newline
  std::int64_t time_nano = 0;  // "timeNano" (0 when absent)
  std::string type;            // "container", "image", "network", ...
  std::string action;          // "create", "exec_create: sh -c id", "die", ...
  std::string actor_id;        // Actor.ID: a container id for container events
};

// The events of the window, in the engine's order (oldest first). Throws forensic::error
// (engine errors as client::call does; errc::protocol when a line is not a JSON object).
std::vector<event_line> events(client& engine, const event_query& query);

// Splits an /events body: one JSON object per line. Empty lines are skipped; any other line that
// is not a JSON object throws errc::protocol naming its number.
std::vector<event_line> parse_events(std::string_view body);

// A time as the engine writes it ("2026-11-23T09:00:00.123456789Z", or with a +hh:mm offset),
// to the nanosecond the platform clock keeps. Throws errc::parse naming the text.
std::chrono::system_clock::time_point parse_engine_time(std::string_view text);

// "seconds.nanoseconds" since the epoch: the form /events takes for since and until.
std::string unix_timestamp(std::chrono::system_clock::time_point t);

}  // namespace forensic::engine
