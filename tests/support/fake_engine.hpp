#pragma once
// A scripted engine on a unix socket, for the failure modes a real dockerd cannot be made to
// show on demand: a stall, a truncated chunked body, an odd status. Each accepted connection
// reads one request head and is answered by the handler, which writes raw bytes (so tests
// control chunk boundaries and can stop mid-body).
#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace forensic::testing {

class fake_engine {
 public:
  // Gets the request head (request line + headers) and writes the raw response with `send`;
  // send("") hangs up.
  using handler = std::function<void(const std::string& head,
                                     const std::function<void(const std::string&)>& send)>;

  explicit fake_engine(handler h);
  ~fake_engine();
  fake_engine(const fake_engine&) = delete;
  fake_engine& operator=(const fake_engine&) = delete;

  const std::string& socket_path() const { return path_; }
  std::string uri() const { return "unix://" + path_; }
  // Request targets seen so far, in order ("GET /v1.41/containers/json?all=0").
  std::vector<std::string> requests() const;
  // The request bodies, in the same order ("" for none).
  std::vector<std::string> bodies() const;

 private:
  void serve();
  void serve_connection(int fd);

  handler handler_;
  std::string path_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  mutable std::vector<std::string> requests_;
  mutable std::vector<std::string> bodies_;
  mutable std::atomic_flag lock_ = ATOMIC_FLAG_INIT;
  std::thread thread_;
  std::vector<std::thread> connections_;  // one per accepted connection, joined on stop
};

// Helpers to build raw HTTP responses.
std::string http_response(int status, const std::string& body,
                          const std::string& content_type = "application/json");
std::string chunk(const std::string& data);  // one chunk of a chunked body

}  // namespace forensic::testing
