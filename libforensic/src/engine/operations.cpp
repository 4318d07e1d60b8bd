#include "forensic/engine/operations.hpp"

#include <nlohmann/json.hpp>

#include "forensic/error.hpp"
#include "forensic/io/byte_sink.hpp"

namespace forensic::engine {
namespace {

std::string container_path(std::string_view id, std::string_view what) {
  return "/containers/" + std::string(id) + "/" + std::string(what);
}

bool flag(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

request pause_request(std::string_view container_id) {
  return request::post(container_path(container_id, "pause"));
}

request unpause_request(std::string_view container_id) {
  return request::post(container_path(container_id, "unpause"));
}

void pause(client& engine, std::string_view container_id) {
  engine.post_json(pause_request(container_id).target);
}

void unpause(client& engine, std::string_view container_id) {
  engine.post_json(unpause_request(container_id).target);
}

container_state parse_container_state(const nlohmann::json& inspect) {
  container_state s;
  if (!inspect.is_object()) return s;
  auto state = inspect.find("State");
  if (state == inspect.end() || !state->is_object()) return s;
  s.running = flag(*state, "Running");
  s.paused = flag(*state, "Paused");
  return s;
}

container_state inspect_state(client& engine, std::string_view container_id) {
  return parse_container_state(inspect_raw(engine, container_id));
}

request inspect_request(std::string_view container_id) {
  return request::get(container_path(container_id, "json"));
}

nlohmann::json inspect_raw(client& engine, std::string_view container_id) {
  return engine.get_json(inspect_request(container_id).target);
}

void ping(client& engine) { engine.get_raw("/_ping"); }

request commit_request(std::string_view container_id, const commit_options& options) {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& [key, value] : options.labels) labels[key] = value;
  request r = request::post(
      "/commit?container=" + std::string(container_id) + "&repo=" + url_encode(options.repo) +
          "&tag=" + url_encode(options.tag) + "&pause=" + (options.pause ? "true" : "false") +
          "&comment=" + url_encode(options.comment),
      nlohmann::json{{"Labels", labels}}.dump());
  r.read_timeout = options.read_timeout;
  return r;
}

std::string commit(client& engine, std::string_view container_id, const commit_options& options) {
  io::string_sink answer(1 << 20);
  engine.call(commit_request(container_id, options), answer);
  auto doc = nlohmann::json::parse(answer.str(), nullptr, false);
  const auto id = doc.is_object() ? doc.find("Id") : doc.end();
  if (!doc.is_object() || id == doc.end() || !id->is_string() || id->get<std::string>().empty()) {
    throw error(errc::protocol, "commit answered without an image id");
  }
  return id->get<std::string>();
}

request remove_image_request(std::string_view image) {
  return request::with("DELETE", "/images/" + std::string(image));
}

void remove_image(client& engine, std::string_view image) {
  io::string_sink ignored(1 << 20);
  engine.call(remove_image_request(image), ignored);
}

}  // namespace forensic::engine
