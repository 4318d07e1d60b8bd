#include "forensic/engine/events.hpp"

namespace forensic::engine {
namespace {

std::string seconds(std::chrono::system_clock::time_point t) {
  return std::to_string(std::chrono::system_clock::to_time_t(t));
}

}  // namespace

request events_request(const event_query& query) {
  std::string target = "/events";
  const auto add = [&](const char* key, const std::string& value) {
    target += (target.find('?') == std::string::npos ? "?" : "&");
    target += key;
    target += '=';
    target += value;
  };
  if (query.since) add("since", seconds(*query.since));
  if (query.until) add("until", seconds(*query.until));
  if (!query.filters.empty()) add("filters", encode_filters(query.filters));
  return request::get(std::move(target));
}

std::string events_raw(client& engine, const event_query& query) {
  return engine.get_raw(events_request(query).target);
}

std::vector<nlohmann::json> events(client& engine, const event_query& query) {
  return parse_events(events_raw(engine, query));
}

std::vector<nlohmann::json> parse_events(const std::string& body) {
  std::vector<nlohmann::json> out;
  std::size_t k = 0;
  while (k < body.size()) {
    auto nl = body.find('\n', k);
    if (nl == std::string::npos) nl = body.size();
    auto doc = nlohmann::json::parse(body.begin() + static_cast<long>(k),
                                     body.begin() + static_cast<long>(nl), nullptr, false);
    if (doc.is_object()) out.push_back(std::move(doc));
    k = nl + 1;
  }
  return out;
}

}  // namespace forensic::engine
