#include "forensic/engine/events.hpp"

#include <cstdio>

#include "forensic/error.hpp"

namespace forensic::engine {

std::string unix_timestamp(std::chrono::system_clock::time_point t) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch());
  const auto s = std::chrono::floor<std::chrono::seconds>(ns);
  const auto fraction = (ns - s).count();
  if (fraction == 0) return std::to_string(s.count());
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%09lld", static_cast<long long>(s.count()),
                static_cast<long long>(fraction));
  return buf;
}

request events_request(const event_query& query) {
  std::string target = "/events";
  const auto add = [&](const char* key, const std::string& value) {
    target += (target.find('?') == std::string::npos ? "?" : "&");
    target += key;
    target += '=';
    target += value;
  };
  if (query.since) add("since", unix_timestamp(*query.since));
  if (query.until) add("until", unix_timestamp(*query.until));
  if (!query.filters.empty()) add("filters", encode_filters(query.filters));
  return request::get(std::move(target));
}

std::vector<event> events(client& engine, const event_query& query) {
  if (query.since && query.until && *query.until < *query.since) {
    throw error(errc::invalid_argument, "events: the window ends before it starts");
  }
  return parse_events(engine.get_raw(events_request(query).target));
}

namespace {

// Cuts the stream into lines and hands each complete one on; a partial line waits for the
// next chunk.
class event_line_sink final : public io::byte_sink {
 public:
  explicit event_line_sink(const std::function<void(const event&)>& on_event)
      : on_event_(on_event) {}
  void write(std::span<const std::byte> bytes) override {
    pending_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    std::size_t nl;
    while ((nl = pending_.find('\n')) != std::string::npos) {
      const std::string line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      for (const auto& e : parse_events(line)) on_event_(e);
    }
    // A line never ends: a peer that is not an engine; refuse to grow without bound.
    if (pending_.size() > (1u << 20)) throw error(errc::protocol, "events: a line over 1 MiB");
  }
  void finish() override {
    for (const auto& e : parse_events(pending_)) on_event_(e);
    pending_.clear();
  }

 private:
  const std::function<void(const event&)>& on_event_;
  std::string pending_;
};

}  // namespace

void follow_events(client& engine, const event_query& query,
                   const std::function<void(const event&)>& on_event) {
  event_query live = query;
  live.until.reset();
  request r = events_request(live);
  r.read_timeout = std::chrono::hours(24);
  event_line_sink sink(on_event);
  engine.call(r, sink);  // finishes the sink
}

std::vector<event> parse_events(std::string_view body) {
  std::vector<event> out;
  std::size_t line_no = 0;
  for (std::size_t k = 0; k < body.size();) {
    std::size_t nl = body.find('\n', k);
    if (nl == std::string_view::npos) nl = body.size();
    std::string_view line = body.substr(k, nl - k);
    k = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    event e;
    e.doc = nlohmann::json::parse(line, nullptr, false);
    if (!e.doc.is_object()) {
      throw error(errc::protocol,
                  "events: line " + std::to_string(line_no) + " is not a JSON object");
    }
    e.raw = std::string(line);
    const auto text = [](const nlohmann::json& j, const char* key) {
      return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
    };
    const auto& doc = e.doc;
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

}  // namespace forensic::engine
