#pragma once
// What a responder does to one container through the engine: pause and unpause it (the
// cgroup freezer), read its run state or its raw inspect document, commit it to an image,
// and remove that image again. Errors are forensic::error as the client maps them (a missing
// container is errc::not_found, pausing a paused one errc::conflict).
#include <chrono>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "forensic/engine/client.hpp"

namespace forensic::engine {

// POST /containers/{id}/pause and /unpause.
request pause_request(std::string_view container_id);
request unpause_request(std::string_view container_id);
void pause(client& engine, std::string_view container_id);
void unpause(client& engine, std::string_view container_id);

// The run state of the inspect document's "State" (a missing or malformed State reads as not
// running, not paused).
struct container_state {
  bool running = false;
  bool paused = false;
};
container_state parse_container_state(const nlohmann::json& inspect);
container_state inspect_state(client& engine, std::string_view container_id);

// GET /containers/{id}/json, the document as the engine sent it. `container_id` is an id or a
// name the engine resolves itself (no docker-CLI prefix matching: containers.hpp does that).
request inspect_request(std::string_view container_id);
nlohmann::json inspect_raw(client& engine, std::string_view container_id);

// GET /_ping; throws what the client throws when the engine does not answer.
void ping(client& engine);

struct commit_options {
  std::string repo;  // image name without the tag, as the engine wants it (lower case)
  std::string tag;
  std::string comment;
  // Replace the container's own labels in the image's config (carry them over to keep them).
  std::map<std::string, std::string> labels;
  bool pause = false;  // the engine's own pause around the commit
  // A large container commits slowly: the engine says nothing until the image is written.
  std::chrono::milliseconds read_timeout = std::chrono::minutes(30);
};
// POST /commit?container=...; returns the new image's id. Throws errc::protocol when the
// engine answers without one.
request commit_request(std::string_view container_id, const commit_options& options);
std::string commit(client& engine, std::string_view container_id, const commit_options& options);

// DELETE /images/{id}.
request remove_image_request(std::string_view image);
void remove_image(client& engine, std::string_view image);

}  // namespace forensic::engine
