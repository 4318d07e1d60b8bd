#include "forensic/engine/events.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "forensic/engine/client.hpp"
#include "forensic/error.hpp"

namespace forensic::engine {
namespace {

using clock = std::chrono::system_clock;

std::string filters_query(const std::vector<std::pair<std::string, std::string>>& filters) {
  if (filters.empty()) return {};
  nlohmann::json f = nlohmann::json::object();
  for (const auto& [key, value] : filters) f[key].push_back(value);
  return "&filters=" + url_encode(f.dump());
}

template <class T>
bool digits(std::string_view text, std::size_t at, std::size_t count, T& out) {
  if (at + count > text.size()) return false;
  auto [p, ec] = std::from_chars(text.data() + at, text.data() + at + count, out);
  return ec == std::errc() && p == text.data() + at + count;
}

}  // namespace

std::string unix_timestamp(clock::time_point t) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch());
  const auto s = std::chrono::floor<std::chrono::seconds>(ns);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%09lld", static_cast<long long>(s.count()),
                static_cast<long long>((ns - s).count()));
  return buf;
}

clock::time_point parse_engine_time(std::string_view text) {
  const auto bad = [&] {
    return error(errc::parse, "'" + std::string(text) + "' is not an RFC 3339 time");
  };
  std::tm tm{};
  if (text.size() < 20 || !digits(text, 0, 4, tm.tm_year) || text[4] != '-' ||
      !digits(text, 5, 2, tm.tm_mon) || text[7] != '-' || !digits(text, 8, 2, tm.tm_mday) ||
      (text[10] != 'T' && text[10] != 't') || !digits(text, 11, 2, tm.tm_hour) || text[13] != ':' ||
      !digits(text, 14, 2, tm.tm_min) || text[16] != ':' || !digits(text, 17, 2, tm.tm_sec)) {
    throw bad();
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::size_t at = 19;
  long long nanos = 0;
  if (text[at] == '.') {
    std::size_t n = 0;
    for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, ++n) {
      if (n < 9) nanos = nanos * 10 + (text[at] - '0');
    }
    if (n == 0) throw bad();
    for (; n < 9; ++n) nanos *= 10;
  }
  long long offset = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    int hh = 0, mm = 0;
    if (!digits(text, at + 1, 2, hh) || at + 3 >= text.size() || text[at + 3] != ':' ||
        !digits(text, at + 4, 2, mm)) {
      throw bad();
    }
    offset = (hh * 3600LL + mm * 60LL) * (text[at] == '+' ? 1 : -1);
    at += 6;
  } else {
    throw bad();
  }
  if (at != text.size()) throw bad();
  const std::time_t seconds = timegm(&tm) - offset;
  return clock::time_point(std::chrono::duration_cast<clock::duration>(
      std::chrono::seconds(seconds) + std::chrono::nanoseconds(nanos)));
}

std::vector<event_line> parse_events(std::string_view body) {
  std::vector<event_line> out;
  std::size_t line_no = 0;
  for (std::size_t k = 0; k < body.size();) {
    std::size_t nl = body.find('\n', k);
    if (nl == std::string_view::npos) nl = body.size();
    std::string_view line = body.substr(k, nl - k);
    k = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    const auto doc = nlohmann::json::parse(line, nullptr, false);
    if (!doc.is_object()) {
      throw error(errc::protocol,
                  "events: line " + std::to_string(line_no) + " is not a JSON object");
    }
    event_line e;
    e.raw = std::string(line);
    const auto text = [&](const nlohmann::json& j, const char* key) {
      return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
    };
    if (doc.contains("timeNano") && doc["timeNano"].is_number_integer()) {
      e.time_nano = doc["timeNano"].get<std::int64_t>();
    } else if (doc.contains("time") && doc["time"].is_number_integer()) {
      e.time_nano = doc["time"].get<std::int64_t>() * 1000000000;
    }
    e.type = text(doc, "Type");
    e.action = text(doc, "Action");
    if (doc.contains("Actor") && doc["Actor"].is_object()) e.actor_id = text(doc["Actor"], "ID");
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<event_line> events(client& engine, const event_query& query) {
  if (query.until < query.since) {
    throw error(errc::invalid_argument, "events: the window ends before it starts");
  }
  // Both bounds given: the engine replays its buffer for the window and ends the response
  // (without `until` it would go on streaming live events).
  return parse_events(engine.get_raw("/events?since=" + unix_timestamp(query.since) + "&until=" +
                                     unix_timestamp(query.until) + filters_query(query.filters)));
}

}  // namespace forensic::engine
