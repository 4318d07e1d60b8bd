#pragma once
// Private: one keep-alive connection to the engine over a unix socket, TCP or TLS, driven by
// C++20 coroutines on the client's io_context. Only client.cpp and connection.cpp include it.
// clang-format off
#include <utility>  // first: Boost 1.74 awaitable.hpp uses std::exchange without including it
// clang-format on

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <memory>
#include <variant>

#include "forensic/engine/client.hpp"

namespace forensic::engine::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

using local_stream = beast::basic_stream<asio::local::stream_protocol>;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

struct timeouts {
  std::chrono::milliseconds connect;
  std::chrono::milliseconds read;
};

class connection {
 public:
  connection(asio::io_context& ioc, const endpoint& where, asio::ssl::context* tls)
      : ioc_(ioc), where_(where), tls_(tls) {}

  // Sends `req` (connecting first when needed) and streams the response body into `sink`.
  // Throws forensic::error. A response with status >= 400 is read whole (capped) and thrown.
  asio::awaitable<response_info> exchange(http::request<http::string_body> req, io::byte_sink& sink,
                                          timeouts limits, bool hash);

  // Aborts whatever is pending (used by cancellation); the connection is dropped.
  void cancel() noexcept;

 private:
  asio::awaitable<void> connect(timeouts limits);
  // Rethrows `e`, as engine_unreachable with a hint that TLS may be needed when a plain-TCP
  // request got no HTTP answer.
  [[noreturn]] void rethrow_with_hint(const error& e) const;
  asio::awaitable<response_info> dispatch(http::request<http::string_body>& req,
                                          io::byte_sink& sink, timeouts limits, bool hash);
  template <class Stream>
  asio::awaitable<response_info> exchange_on(Stream& stream, http::request<http::string_body>& req,
                                             io::byte_sink& sink, timeouts limits, bool hash);
  // Reads what the socket holds (up to 1 MiB) into buffer_; at the end of the stream, tells
  // `parser` so, which completes a body that runs to the connection's end.
  template <class Stream, class Parser>
  asio::awaitable<void> read_more(Stream& stream, Parser& parser, timeouts limits);

  asio::io_context& ioc_;
  const endpoint& where_;
  asio::ssl::context* tls_;
  std::variant<std::monostate, local_stream, beast::tcp_stream, tls_stream> stream_;
  beast::flat_buffer buffer_;
  // Body bytes land here; left uninitialised so that a 4 KiB inspect touches (page-faults) one
  // page of it, not 256 KiB (zero-filling it was a third of ir-ps's page faults).
  std::unique_ptr<char[]> body_chunk_;
  bool got_header_ = false;
};

// Maps a Boost.System error seen while talking to `where` into forensic::error.
// `detail` is OpenSSL's reason for rejecting the engine's certificate, when it did.
[[noreturn]] void throw_transport_error(const boost::system::error_code& ec, const endpoint& where,
                                        const char* phase, std::chrono::milliseconds limit,
                                        const std::string& detail = {});

// Maps an engine error status and body ({"message": ...}) into forensic::error.
[[noreturn]] void throw_status_error(unsigned status, const std::string& body,
                                     const std::string& target);

}  // namespace forensic::engine::detail
