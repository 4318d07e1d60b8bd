#pragma once
// The engine requests whose bodies callers stream themselves (through client::call, into a
// file or a demultiplexer), and how a request is named in records and reports.
//
// Builders return the request only; nothing is sent. Paths are relative to the API version
// prefix, which the client adds.
#include <string>
#include <string_view>

#include "forensic/engine/client.hpp"

namespace forensic::engine {

// GET /containers/{id}/export: the container's filesystem as a tar stream.
request container_export_request(std::string_view container_id);
// GET /containers/{id}/changes: the writable layer's changes (JSON array).
request container_changes_request(std::string_view container_id);
// GET /containers/{id}/logs with stdout, stderr and timestamps: the whole log history, framed
// by stream unless the container has a TTY (logs.hpp).
request container_logs_request(std::string_view container_id);

// GET /images/{id}/json and /images/{id}/history.
request image_inspect_request(std::string_view image);
request image_history_request(std::string_view image);
// GET /images/get?names=<reference>: a `docker save` tar, which `docker load` restores with
// its tag when `reference` is a name:tag.
request image_save_request(std::string_view reference);

// "GET /v1.45/containers/<id>/json": the request as the engine receives it (the API version
// is negotiated on first use), for custody records.
std::string describe(client& engine, const request& req);
// "/v1.45/containers/<id>/json": the target as sent.
std::string versioned_target(client& engine, const request& req);
// "POST /containers/<id>/pause": method and target without the version prefix, for the
// commands a report lists.
std::string request_line(const request& req);

}  // namespace forensic::engine
