#include "forensic/engine/requests.hpp"

namespace forensic::engine {
namespace {

request container_get(std::string_view id, std::string_view what) {
  return request::get("/containers/" + std::string(id) + "/" + std::string(what));
}

}  // namespace

request container_export_request(std::string_view container_id) {
  return container_get(container_id, "export");
}

request container_changes_request(std::string_view container_id) {
  return container_get(container_id, "changes");
}

request container_logs_request(std::string_view container_id) {
  return container_get(container_id, "logs?stdout=1&stderr=1&timestamps=1");
}

request image_inspect_request(std::string_view image) {
  return request::get("/images/" + std::string(image) + "/json");
}

request image_history_request(std::string_view image) {
  return request::get("/images/" + std::string(image) + "/history");
}

request image_save_request(std::string_view reference) {
  return request::get("/images/get?names=" + url_encode(reference));
}

std::string versioned_target(client& engine, const request& req) {
  return "/v" + engine.api_version() + req.target;
}

std::string describe(client& engine, const request& req) {
  return req.method + " " + versioned_target(engine, req);
}

std::string request_line(const request& req) { return req.method + " " + req.target; }

}  // namespace forensic::engine
