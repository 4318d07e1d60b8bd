#include "forensic/engine/client.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "engine/connection.hpp"

namespace forensic::engine {

using detail::asio::use_awaitable;
namespace asio = detail::asio;
namespace http = detail::http;

struct client::impl {
  client_options options;
  asio::io_context ioc{1};
  std::unique_ptr<asio::ssl::context> tls;
  std::vector<std::unique_ptr<detail::connection>> pool;  // pool[0] serves single calls
  std::optional<engine_version> version;
  std::string api_version;
  exchange_observer observer;
  const std::atomic<bool>* cancel_flag = nullptr;

  explicit impl(client_options o) : options(std::move(o)) {
    if (options.where.tls) tls = make_tls_context(options.where);
    pool.push_back(make_connection());
  }

  std::unique_ptr<detail::connection> make_connection() {
    return std::make_unique<detail::connection>(ioc, options.where, tls.get());
  }

  // Each file is checked on its own so that the message names the one at fault; a problem
  // here means the engine was never reached (errc::engine_unreachable, or permission_denied
  // for a file this user may not read).
  static std::unique_ptr<asio::ssl::context> make_tls_context(const endpoint& where) {
    const tls_settings& t = *where.tls;
    const std::string at = where.to_string();
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    const auto load = [&](const std::string& file, const char* role, auto&& use) {
      if (file.empty()) return;
      struct stat st {};
      if (::stat(file.c_str(), &st) != 0) {
        const int err = errno;
        throw error(err == EACCES ? errc::permission_denied : errc::engine_unreachable,
                    std::string("TLS ") + role + " " + file + " for " + at + ": " +
                        std::strerror(err) + " (DOCKER_CERT_PATH names the directory)");
      }
      if (!S_ISREG(st.st_mode) || ::access(file.c_str(), R_OK) != 0) {
        const int err = S_ISREG(st.st_mode) ? errno : EISDIR;
        throw error(err == EACCES ? errc::permission_denied : errc::engine_unreachable,
                    std::string("TLS ") + role + " " + file + " for " + at +
                        " is not readable: " + std::strerror(err));
      }
      try {
        use(file);
      } catch (const boost::system::system_error& e) {
        throw error(errc::engine_unreachable, std::string("TLS ") + role + " " + file + " for " +
                                                  at + " is not usable: " + e.code().message());
      }
    };
    load(t.ca_file, "CA file", [&](const std::string& f) { ctx->load_verify_file(f); });
    if (t.ca_file.empty()) ctx->set_default_verify_paths();
    if (t.cert_file.empty() != t.key_file.empty()) {
      throw error(errc::engine_unreachable,
                  "TLS client " + std::string(t.cert_file.empty() ? "certificate" : "key") +
                      " missing for " + at + ": " +
                      (t.cert_file.empty() ? t.key_file : t.cert_file) +
                      " is there but its pair (cert.pem and key.pem) is not");
    }
    load(t.cert_file, "client certificate",
         [&](const std::string& f) { ctx->use_certificate_chain_file(f); });
    load(t.key_file, "client key",
         [&](const std::string& f) { ctx->use_private_key_file(f, asio::ssl::context::pem); });
    return ctx;
  }

  detail::timeouts limits(const request& r) const {
    return {options.connect_timeout,
            r.read_timeout.count() > 0 ? r.read_timeout : options.read_timeout};
  }

  http::request<http::string_body> build(const request& r, const std::string& versioned) const {
    http::verb verb = http::string_to_verb(r.method);
    if (verb == http::verb::unknown) {
      throw error(errc::invalid_argument, "unknown HTTP method " + r.method);
    }
    http::request<http::string_body> req{verb, versioned, 11};
    req.set(http::field::host,
            options.where.kind == endpoint::transport::tcp ? options.where.host : "docker");
    req.set(http::field::user_agent, "libforensic");
    if (!r.body.empty() || verb == http::verb::post) {
      req.set(http::field::content_type, r.content_type);
      req.body() = r.body;
      req.prepare_payload();
    }
    return req;
  }

  // Runs `task` to completion on the private io_context, with a watchdog that aborts every
  // connection when the cancel flag turns true (a signal cannot interrupt epoll by itself).
  template <class T>
  T run(asio::awaitable<T> task) {
    std::optional<T> result;
    std::exception_ptr failure;
    bool done = false;
    asio::steady_timer watchdog(ioc);
    asio::co_spawn(ioc, std::move(task), [&](std::exception_ptr e, T value) {
      done = true;
      failure = e;
      if (!e) result = std::move(value);
      watchdog.cancel();
    });
    if (cancel_flag) {
      asio::co_spawn(
          ioc,
          [&]() -> asio::awaitable<void> {
            while (!done) {
              watchdog.expires_after(std::chrono::milliseconds(100));
              boost::system::error_code ec;
              co_await watchdog.async_wait(asio::redirect_error(use_awaitable, ec));
              if (!done && cancel_flag->load()) {
                for (auto& c : pool) c->cancel();
              }
            }
          },
          asio::detached);
    }
    ioc.restart();
    ioc.run();
    if (failure) {
      if (cancel_flag && cancel_flag->load()) {
        try {
          std::rethrow_exception(failure);
        } catch (const error& e) {
          throw error(errc::cancelled, std::string("interrupted: ") + e.what());
        }
      }
      std::rethrow_exception(failure);
    }
    return std::move(*result);
  }

  asio::awaitable<response_info> observed(detail::connection& c, const request& r,
                                          std::string versioned, io::byte_sink& sink, bool hash) {
    exchange_record rec;
    rec.method = r.method;
    rec.target = versioned;
    rec.started = std::chrono::system_clock::now();
    try {
      auto info = co_await c.exchange(build(r, versioned), sink, limits(r), hash || observer);
      rec.status = info.status;
      rec.bytes = info.bytes;
      rec.sha256 = info.sha256;
      rec.finished = std::chrono::system_clock::now();
      if (observer) observer(rec);
      co_return info;
    } catch (const error& e) {
      rec.failure = e.what();
      rec.finished = std::chrono::system_clock::now();
      if (observer) observer(rec);
      throw;
    }
  }
};

client::client(client_options options) : impl_(std::make_unique<impl>(std::move(options))) {}
client::~client() = default;

const endpoint& client::where() const noexcept { return impl_->options.where; }

void client::set_observer(exchange_observer observer) { impl_->observer = std::move(observer); }
void client::set_cancel_flag(const std::atomic<bool>* flag) noexcept { impl_->cancel_flag = flag; }

const engine_version& client::version() {
  if (!impl_->version) {
    io::string_sink body(1 << 20);
    request r = request::get("/version");
    impl_->run(impl_->observed(*impl_->pool[0], r, "/version", body, false));
    auto doc = nlohmann::json::parse(body.str(), nullptr, false);
    if (!doc.is_object()) throw error(errc::protocol, "engine /version is not a JSON object");
    engine_version v;
    v.version = doc.value("Version", "");
    v.api_version = doc.value("ApiVersion", "");
    v.min_api_version = doc.value("MinAPIVersion", "");
    v.os = doc.value("Os", "");
    v.arch = doc.value("Arch", "");
    v.kernel_version = doc.value("KernelVersion", "");
    impl_->version = std::move(v);
  }
  return *impl_->version;
}

const std::string& client::api_version() {
  if (!impl_->api_version.empty()) return impl_->api_version;
  if (!impl_->options.where.api_version.empty()) {
    impl_->api_version = impl_->options.where.api_version;
    return impl_->api_version;
  }
  // Negotiated on /_ping, as the docker CLI does: its "Api-Version" header is the engine's
  // highest version, and dockerd answers it at once where /version also asks containerd
  // (measured 25 ms of every tool's run on a 2-core host).
  io::string_sink ignored(4096);
  const request ping = request::get("/_ping");
  const auto pong = impl_->run(impl_->observed(*impl_->pool[0], ping, "/_ping", ignored, false));
  std::string highest = pong.api_version;
  if (highest.empty()) highest = version().api_version;  // an engine or proxy without the header
  if (highest.empty()) throw error(errc::protocol, "engine did not report its API version");
  if (compare_api_versions(highest, min_api_version) < 0) {
    throw error(errc::engine_error, "engine speaks API " + highest + ", older than " +
                                        min_api_version + " which this tool needs");
  }
  impl_->api_version =
      compare_api_versions(highest, max_api_version) < 0 ? highest : max_api_version;
  return impl_->api_version;
}

response_info client::call(const request& req, io::byte_sink& sink, bool hash_body) {
  std::string versioned = "/v" + api_version() + req.target;
  return impl_->run(impl_->observed(*impl_->pool[0], req, versioned, sink, hash_body));
}

std::string client::get_raw(std::string_view target) {
  io::string_sink body;
  call(request::get(std::string(target)), body);
  return body.take();
}

nlohmann::json client::get_json(std::string_view target) {
  std::string body = get_raw(target);
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded()) {
    throw error(errc::protocol, "engine answer to " + std::string(target) + " is not JSON");
  }
  return doc;
}

nlohmann::json client::post_json(std::string_view target, const nlohmann::json& body) {
  io::string_sink out;
  request r = request::post(std::string(target), body.is_null() ? "" : body.dump());
  call(r, out);
  if (out.str().empty()) return nullptr;
  auto doc = nlohmann::json::parse(out.str(), nullptr, false);
  return doc.is_discarded() ? nlohmann::json(out.str()) : doc;
}

std::vector<batch_result> client::get_json_batch(std::span<const std::string> targets,
                                                 std::size_t parallel,
                                                 const nlohmann::json::parser_callback_t& keep) {
  return get_json_batch(targets, parallel, [&keep](std::string_view body) {
    return nlohmann::json::parse(body, keep, false);
  });
}

std::vector<batch_result> client::get_json_batch(std::span<const std::string> targets,
                                                 std::size_t parallel, const body_parser& parse) {
  std::vector<batch_result> results(targets.size());
  if (targets.empty()) return results;
  const std::string prefix = "/v" + api_version();
  parallel = std::max<std::size_t>(1, std::min(parallel, targets.size()));
  while (impl_->pool.size() < parallel) impl_->pool.push_back(impl_->make_connection());

  std::size_t next = 0;
  auto worker = [&](detail::connection& c) -> asio::awaitable<void> {
    while (next < targets.size()) {
      const std::size_t i = next++;
      io::string_sink body;
      try {
        request r = request::get(targets[i]);
        co_await impl_->observed(c, r, prefix + targets[i], body, false);
        results[i].body = parse(body.str());
        if (results[i].body.is_discarded()) {
          results[i].failure =
              error(errc::protocol, "engine answer to " + targets[i] + " is not JSON");
        }
      } catch (const error& e) {
        results[i].failure = e;
        if (e.kind() == errc::cancelled) throw;
      }
    }
  };
  auto all = [&]() -> asio::awaitable<int> {
    // Workers run concurrently on the one io_context thread; each owns one connection.
    auto ex = co_await asio::this_coro::executor;
    std::size_t remaining = parallel;
    std::exception_ptr first_failure;
    asio::steady_timer all_done(ex, asio::steady_timer::time_point::max());
    for (std::size_t w = 0; w < parallel; ++w) {
      asio::co_spawn(ex, worker(*impl_->pool[w]), [&](std::exception_ptr e) {
        if (e && !first_failure) first_failure = e;
        if (--remaining == 0) all_done.cancel();
      });
    }
    boost::system::error_code ec;
    co_await all_done.async_wait(asio::redirect_error(use_awaitable, ec));
    if (first_failure) std::rethrow_exception(first_failure);
    co_return 0;
  };
  impl_->run(all());
  return results;
}

std::string url_encode(std::string_view value) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 0xf];
    }
  }
  return out;
}

std::string encode_filters(const filter_list& filters) {
  nlohmann::json f = nlohmann::json::object();
  for (const auto& [key, value] : filters) f[key].push_back(value);
  return url_encode(f.dump());
}

int compare_api_versions(std::string_view a, std::string_view b) {
  auto next = [](std::string_view& s) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    s.remove_prefix(static_cast<std::size_t>(end - s.data()));
    if (!s.empty() && s.front() == '.') s.remove_prefix(1);
    return v;
  };
  while (!a.empty() || !b.empty()) {
    unsigned x = next(a), y = next(b);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

}  // namespace forensic::engine
