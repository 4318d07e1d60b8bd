#include "engine/connection.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

#include "forensic/io/hashing_sink.hpp"

namespace forensic::engine::detail {
namespace {

using asio::use_awaitable;

template <class Stream>
auto& timed_layer(Stream& s) {
  return beast::get_lowest_layer(s);
}

// What to set when a plain-HTTP request met a TLS port.
constexpr const char* tls_hint =
    "TLS may be needed (DOCKER_TLS_VERIFY=1 with DOCKER_CERT_PATH, or DOCKER_TLS=1; dockerd's "
    "TLS port is 2376)";

std::string seconds_text(std::chrono::milliseconds ms) {
  auto tenths = ms.count() / 100;
  return std::to_string(tenths / 10) + (tenths % 10 ? "." + std::to_string(tenths % 10) : "") +
         " s";
}

}  // namespace

void throw_transport_error(const boost::system::error_code& ec, const endpoint& where,
                           const char* phase, std::chrono::milliseconds limit,
                           const std::string& detail) {
  const std::string at = where.to_string();
  if (ec == beast::error::timeout) {
    throw error(errc::timeout, std::string("engine at ") + at + " did not answer within " +
                                   seconds_text(limit) + " (" + phase + ")");
  }
  if (ec == asio::error::access_denied || ec == asio::error::no_permission) {
    throw error(errc::permission_denied,
                "permission denied on " + at + " (run as root or as a member of the docker group)");
  }
  if (ec == asio::error::connection_refused || ec == asio::error::not_found ||
      ec == boost::system::errc::no_such_file_or_directory || ec == asio::error::host_not_found ||
      ec == asio::error::host_unreachable || ec == asio::error::network_unreachable) {
    throw error(errc::engine_unreachable, "cannot reach the Docker engine at " + at + " (" +
                                              ec.message() + "); is dockerd running?");
  }
  if (ec == asio::error::operation_aborted) {
    throw error(errc::cancelled, std::string("interrupted while ") + phase + " " + at);
  }
  if (ec == http::error::partial_message || ec == asio::error::eof ||
      ec == asio::error::connection_reset || ec == asio::error::broken_pipe) {
    throw error(errc::protocol, "the engine at " + at + " closed the connection while " + phase +
                                    " (" + ec.message() + ")");
  }
  if (ec.category() == asio::error::get_ssl_category() ||
      ec.category() == asio::ssl::error::get_stream_category()) {
    if (ec == asio::ssl::error::stream_truncated) {
      throw error(errc::protocol, "the engine at " + at + " closed the TLS connection while " +
                                      phase + " (" + ec.message() + ")");
    }
    // The engine's API was never reached: exit status 3, with what to fix.
    std::string why = ec.message();
    const bool verify_failed = why.find("certificate verify failed") != std::string::npos;
    if (verify_failed) {
      why = "certificate verify failed";
      if (!detail.empty()) why += " (" + detail + ")";
      why += where.tls && !where.tls->ca_file.empty()
                 ? "; the engine's certificate was checked against CA file " + where.tls->ca_file
                 : "; the engine's certificate was checked against the system's CAs (no CA file)";
    } else if (where.tls && where.tls->cert_file.empty() &&
               (why.find("certificate required") != std::string::npos ||
                why.find("handshake failure") != std::string::npos)) {
      why +=
          "; the engine may require a client certificate: cert.pem and key.pem in "
          "DOCKER_CERT_PATH";
    }
    throw error(errc::engine_unreachable,
                "TLS with " + at + " failed: " + why + " (while " + phase + " the engine)");
  }
  throw error(errc::protocol, std::string("talking to the engine at ") + at + " failed while " +
                                  phase + ": " + ec.message());
}

void throw_status_error(unsigned status, const std::string& body, const std::string& target) {
  std::string message;
  try {
    auto doc = nlohmann::json::parse(body);
    if (doc.is_object()) message = doc.value("message", "");
  } catch (const nlohmann::json::exception&) {
  }
  if (message.empty()) message = body.substr(0, 200);
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  const std::string what =
      "engine: " + message + " (HTTP " + std::to_string(status) + " on " + target + ")";
  switch (status) {
    case 404:
      throw error(errc::not_found, what);
    case 409:
      throw error(errc::conflict, what);
    case 401:
    case 403:
      throw error(errc::permission_denied, what);
    default:
      throw error(errc::engine_error, what);
  }
}

void connection::cancel() noexcept {
  std::visit(
      [](auto& s) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(s)>, std::monostate>) {
          boost::system::error_code ignored;
          timed_layer(s).socket().cancel(ignored);
          timed_layer(s).socket().close(ignored);
        }
      },
      stream_);
  stream_ = std::monostate{};
}

asio::awaitable<void> connection::connect(timeouts limits) {
  buffer_.clear();
  const char* phase = "connecting to";
  try {
    if (where_.kind == endpoint::transport::unix_socket) {
      auto& s = stream_.emplace<local_stream>(ioc_);
      s.expires_after(limits.connect);
      co_await s.async_connect(asio::local::stream_protocol::endpoint(where_.socket_path),
                               use_awaitable);
      co_return;
    }
    asio::ip::tcp::resolver resolver(ioc_);
    auto results =
        co_await resolver.async_resolve(where_.host, std::to_string(where_.port), use_awaitable);
    if (!where_.tls) {
      auto& s = stream_.emplace<beast::tcp_stream>(ioc_);
      s.expires_after(limits.connect);
      co_await s.async_connect(results, use_awaitable);
      co_return;
    }
    auto& s = stream_.emplace<tls_stream>(ioc_, *tls_);
    if (!SSL_set_tlsext_host_name(s.native_handle(), where_.host.c_str())) {
      throw error(errc::crypto, "cannot set TLS server name for " + where_.host);
    }
    if (where_.tls->verify_peer) {
      s.set_verify_mode(asio::ssl::verify_peer);
      s.set_verify_callback(asio::ssl::host_name_verification(where_.host));
    }
    timed_layer(s).expires_after(limits.connect);
    co_await timed_layer(s).async_connect(results, use_awaitable);
    phase = "TLS handshake with";
    timed_layer(s).expires_after(limits.connect);
    co_await s.async_handshake(asio::ssl::stream_base::client, use_awaitable);
  } catch (const boost::system::system_error& e) {
    std::string detail;  // why OpenSSL rejected the engine's certificate, when it did
    if (auto* s = std::get_if<tls_stream>(&stream_)) {
      const long verdict = SSL_get_verify_result(s->native_handle());
      if (verdict != X509_V_OK) detail = X509_verify_cert_error_string(verdict);
    }
    stream_ = std::monostate{};
    throw_transport_error(e.code(), where_, phase, limits.connect, detail);
  }
}

template <class Stream>
asio::awaitable<response_info> connection::exchange_on(Stream& s,
                                                       http::request<http::string_body>& req,
                                                       io::byte_sink& sink, timeouts limits,
                                                       bool hash) {
  const char* phase = "sending a request to";
  response_info info;
  try {
    timed_layer(s).expires_after(limits.read);
    co_await http::async_write(s, req, use_awaitable);

    phase = "reading a response from";
    http::response_parser<http::buffer_body> parser;
    // Bodies stream (exports are many GiB). Not boost::none: Boost 1.74 compares the
    // Content-Length with an empty optional and always fails with body_limit.
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    // Beast sizes each header read by the buffer's spare capacity (at least 512 bytes): room
    // reserved lets the first read take the header and the start of the body at once.
    if (buffer_.capacity() < 256 * 1024) buffer_.reserve(256 * 1024);
    timed_layer(s).expires_after(limits.read);
    co_await http::async_read_header(s, buffer_, parser, use_awaitable);
    got_header_ = true;
    info.status = parser.get().result_int();
    info.content_type = std::string(parser.get()[http::field::content_type]);
    info.api_version = std::string(parser.get()["Api-Version"]);

    io::string_sink error_body(1 << 20);
    io::byte_sink& target = info.status >= 300 ? error_body : sink;
    std::optional<io::hashing_sink> hasher;
    const std::string* sink_digest = sink.digest_after_finish();
    if (hash && info.status < 300 && !sink_digest) hasher.emplace(&sink);
    io::byte_sink& out = hasher ? static_cast<io::byte_sink&>(*hasher) : target;

    constexpr std::size_t chunk_size = 256 * 1024;
    if (!body_chunk_) body_chunk_.reset(new char[chunk_size]);
    char* const chunk = body_chunk_.get();
    parser.eager(true);  // each put() fills the chunk across as many HTTP chunks as it holds
    bool need_input = buffer_.size() == 0;
    while (!parser.is_done()) {
      if (need_input) {
        co_await read_more(s, parser, limits);
        if (parser.is_done()) break;  // the end of the stream ended the body
      }
      parser.get().body().data = chunk;
      parser.get().body().size = chunk_size;
      boost::system::error_code ec;
      const std::size_t used = parser.put(buffer_.data(), ec);
      buffer_.consume(used);
      // need_more: the buffer ends inside a chunk header; need_buffer: the chunk is full.
      if (ec && ec != http::error::need_more && ec != http::error::need_buffer) {
        throw boost::system::system_error(ec);
      }
      const std::size_t got = chunk_size - parser.get().body().size;
      need_input = buffer_.size() == 0 || ec == http::error::need_more || (used == 0 && got == 0);
      if (got) {
        out.write({reinterpret_cast<const std::byte*>(chunk), got});
        info.bytes += got;
      }
    }
    if (!parser.keep_alive()) cancel();
    if (!where_.tls && info.status == 400 &&
        error_body.str().find("HTTP request to an HTTPS server") != std::string::npos) {
      throw error(errc::engine_unreachable, "the engine at " + where_.to_string() +
                                                " answered that it speaks HTTPS: " + tls_hint);
    }
    if (info.status >= 300)
      throw_status_error(info.status, error_body.str(), std::string(req.target()));
    if (hasher) {
      hasher->finish();  // finishes `sink` too
      info.sha256 = hasher->hex_digest();
    } else {
      sink.finish();
      if (hash && sink_digest) info.sha256 = *sink_digest;
    }
    co_return info;
  } catch (const boost::system::system_error& e) {
    cancel();
    throw_transport_error(e.code(), where_, phase, limits.read);
  } catch (...) {
    cancel();  // a half-read response leaves the connection unusable
    throw;
  }
}

template <class Stream, class Parser>
asio::awaitable<void> connection::read_more(Stream& s, Parser& parser, timeouts limits) {
  // Not http::async_read: Beast caps each of its reads at 64 KiB, so a 512 MiB export took
  // 9,500 recvmsg calls and as many epoll_waits (about 20 us each here), and the engine waited
  // on us. Reading up to 1 MiB at a time takes what the socket holds in one call.
  constexpr std::size_t read_size = 1 << 20;
  timed_layer(s).expires_after(limits.read);
  boost::system::error_code ec;
  const std::size_t n = co_await s.async_read_some(buffer_.prepare(read_size),
                                                   asio::redirect_error(use_awaitable, ec));
  buffer_.commit(n);
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    parser.put_eof(ec);  // completes a body delimited by the connection's end, else partial
  }
  if (ec) throw boost::system::system_error(ec);
}

asio::awaitable<response_info> connection::exchange(http::request<http::string_body> req,
                                                    io::byte_sink& sink, timeouts limits,
                                                    bool hash) {
  const bool reused = !std::holds_alternative<std::monostate>(stream_);
  if (!reused) co_await connect(limits);
  got_header_ = false;
  bool retry = false;
  try {
    co_return co_await dispatch(req, sink, limits, hash);
  } catch (const error& e) {
    // The engine may have closed an idle keep-alive connection just as we reused it: retry
    // once on a fresh one, but only if nothing of the response was seen.
    if (!reused || got_header_ || e.kind() != errc::protocol) rethrow_with_hint(e);
    retry = true;
  }
  if (retry) co_await connect(limits);
  try {
    co_return co_await dispatch(req, sink, limits, hash);
  } catch (const error& e) {
    rethrow_with_hint(e);
  }
}

void connection::rethrow_with_hint(const error& e) const {
  // A fresh plain-TCP connection that got no HTTP answer at all (a TLS alert, bytes that are
  // not HTTP, or a hang-up): most often a TLS port asked in plain HTTP. The API was not reached.
  if (where_.kind == endpoint::transport::tcp && !where_.tls && !got_header_ &&
      e.kind() == errc::protocol) {
    throw error(errc::engine_unreachable, std::string(e.what()) + "; no HTTP answer from " +
                                              where_.to_string() + ": " + tls_hint);
  }
  throw e;
}

asio::awaitable<response_info> connection::dispatch(http::request<http::string_body>& req,
                                                    io::byte_sink& sink, timeouts limits,
                                                    bool hash) {
  if (auto* s = std::get_if<local_stream>(&stream_)) {
    co_return co_await exchange_on(*s, req, sink, limits, hash);
  }
  if (auto* s = std::get_if<beast::tcp_stream>(&stream_)) {
    co_return co_await exchange_on(*s, req, sink, limits, hash);
  }
  co_return co_await exchange_on(std::get<tls_stream>(stream_), req, sink, limits, hash);
}

}  // namespace forensic::engine::detail
