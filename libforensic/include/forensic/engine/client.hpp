#pragma once
// A synchronous Docker Engine API client on Boost.Beast (implementation hidden: this header
// pulls in no Asio). Every call has a connect timeout and a per-read timeout, bodies stream
// into a byte_sink (chunked or not), API versions are negotiated against /version, and engine
// errors become forensic::error with the engine's own message:
//   404 -> not_found, 409 -> conflict, other >= 400 -> engine_error,
//   nothing listening -> engine_unreachable, socket not ours -> permission_denied.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "forensic/engine/endpoint.hpp"
#include "forensic/error.hpp"
#include "forensic/io/byte_sink.hpp"

namespace forensic::engine {

struct client_options {
  endpoint where = endpoint::from_environment();
  std::chrono::milliseconds connect_timeout{5000};
  // Longest silence tolerated between two reads of one response (not the whole body).
  std::chrono::milliseconds read_timeout{30000};
};

struct request {
  std::string method = "GET";
  // Path and query, without the /vX.Y prefix: "/containers/json?all=1".
  std::string target;
  std::string body;
  std::string content_type = "application/json";
  // Overrides client_options::read_timeout for slow calls (commit of a large container).
  std::chrono::milliseconds read_timeout{0};

  static request get(std::string target) { return with("GET", std::move(target)); }
  static request post(std::string target, std::string body = {}) {
    request r = with("POST", std::move(target));
    r.body = std::move(body);
    return r;
  }
  static request with(std::string method, std::string target) {
    request r;
    r.method = std::move(method);
    r.target = std::move(target);
    return r;
  }
};

struct response_info {
  unsigned status = 0;
  std::string content_type;
  std::uint64_t bytes = 0;
  std::string sha256;       // of the body; filled when hashing was asked or an observer is set
  std::string api_version;  // the engine's "Api-Version" header (dockerd sends it on every reply)
};

// One request/response pair, as recorded for a custody log.
struct exchange_record {
  std::string method;
  std::string target;  // as sent, with the version prefix
  unsigned status = 0;
  std::uint64_t bytes = 0;
  std::string sha256;
  std::chrono::system_clock::time_point started;
  std::chrono::system_clock::time_point finished;
  std::string failure;  // empty when the exchange completed
};
using exchange_observer = std::function<void(const exchange_record&)>;

struct engine_version {
  std::string version;          // "20.10.24+dfsg1"
  std::string api_version;      // highest the engine speaks
  std::string min_api_version;  // lowest the engine speaks
  std::string os;
  std::string arch;
  std::string kernel_version;
};

// Result of one item of a batch: the parsed body, or why it failed.
struct batch_result {
  nlohmann::json body;
  std::optional<forensic::error> failure;
};

class client {
 public:
  // The newest API version whose fields this library knows.
  static constexpr const char* max_api_version = "1.45";
  // The oldest it accepts (Docker 1.13).
  static constexpr const char* min_api_version = "1.25";

  explicit client(client_options options = {});
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  const endpoint& where() const noexcept;

  // The engine's /version, fetched once.
  const engine_version& version();
  // The version used in request paths: pinned by DOCKER_API_VERSION, or the highest both
  // sides speak.
  const std::string& api_version();

  // Streams the body of a 2xx response into `sink`; throws forensic::error otherwise.
  response_info call(const request& req, io::byte_sink& sink, bool hash_body = false);

  // A small JSON body (64 MiB cap), raw as the engine sent it.
  std::string get_raw(std::string_view target);
  nlohmann::json get_json(std::string_view target);
  nlohmann::json post_json(std::string_view target, const nlohmann::json& body = nullptr);

  // GETs many JSON documents over up to `parallel` keep-alive connections at once (the engine
  // serves them concurrently). Per-item failures are returned, not thrown, because a
  // container may vanish between a list and its inspect. `keep`, when set, is handed to the
  // JSON parser (nlohmann's parser callback) to drop what the caller will not read.
  std::vector<batch_result> get_json_batch(std::span<const std::string> targets,
                                           std::size_t parallel = 6,
                                           const nlohmann::json::parser_callback_t& keep = nullptr);
  // The same with each body handed whole to `parse` (which returns a discarded value for a
  // body that is not JSON), for callers that skip what they do not read before the JSON
  // parser lexes it. Bodies are parsed as they arrive, while the engine prepares the others.
  using body_parser = std::function<nlohmann::json(std::string_view body)>;
  std::vector<batch_result> get_json_batch(std::span<const std::string> targets,
                                           std::size_t parallel, const body_parser& parse);

  // Every exchange is reported to the observer (custody logs). Setting one makes every
  // response body hashed.
  void set_observer(exchange_observer observer);
  // A flag (set by a signal handler) checked every 100 ms while waiting: when it turns true,
  // the call in progress is aborted with errc::cancelled.
  void set_cancel_flag(const std::atomic<bool>* flag) noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Percent-encodes a query parameter value (filters are JSON in a query string).
std::string url_encode(std::string_view value);

// Engine-side filters, as `docker ps --filter` takes them: {"label", "k=v"}, {"driver",
// "bridge"}; a key given twice matches either value.
using filter_list = std::vector<std::pair<std::string, std::string>>;
// The value of a `filters=` query parameter: {"key":["value",...]} as JSON, percent-encoded.
std::string encode_filters(const filter_list& filters);

// Compares dotted API versions numerically ("1.9" < "1.41").
int compare_api_versions(std::string_view a, std::string_view b);

}  // namespace forensic::engine
