#include "forensic/engine/endpoint.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>

#include "forensic/error.hpp"

namespace forensic::engine {
namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// The docker CLI drops the default client certificate and key when their files do not exist
// (a server that asks no client certificate needs only ca.pem); it keeps ca.pem's path, whose
// absence is then an error naming it.
std::string if_present(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 || errno != ENOENT ? path : std::string();
}

std::uint16_t parse_port(std::string_view text, std::string_view uri) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) {
    throw error(errc::invalid_argument,
                "invalid port in engine address '" + std::string(uri) + "'");
  }
  return static_cast<std::uint16_t>(value);
}

void parse_tcp_authority(std::string_view authority, std::string_view uri, endpoint& ep) {
  // Strip a trailing path ("tcp://host:2375/") that some users write.
  if (auto slash = authority.find('/'); slash != std::string_view::npos) {
    authority = authority.substr(0, slash);
  }
  if (authority.empty()) {
    throw error(errc::invalid_argument, "engine address '" + std::string(uri) + "' has no host");
  }
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      throw error(errc::invalid_argument,
                  "unterminated IPv6 address in '" + std::string(uri) + "'");
    }
    ep.host = std::string(authority.substr(1, close - 1));
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        throw error(errc::invalid_argument, "invalid engine address '" + std::string(uri) + "'");
      }
      ep.port = parse_port(rest.substr(1), uri);
    }
    return;
  }
  auto colon = authority.rfind(':');
  if (colon == std::string_view::npos) {
    ep.host = std::string(authority);
  } else {
    ep.host = std::string(authority.substr(0, colon));
    ep.port = parse_port(authority.substr(colon + 1), uri);
  }
  if (ep.host.empty()) {
    throw error(errc::invalid_argument, "engine address '" + std::string(uri) + "' has no host");
  }
}

}  // namespace

std::string endpoint::to_string() const {
  if (kind == transport::unix_socket) return "unix://" + socket_path;
  const bool v6 = host.find(':') != std::string::npos;
  std::string out = "tcp://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  if (tls) out += tls->verify_peer ? " (TLS)" : " (TLS, engine certificate not verified)";
  return out;
}

endpoint endpoint::parse(std::string_view uri) {
  endpoint ep;
  if (uri.starts_with("unix://")) {
    ep.socket_path = std::string(uri.substr(7));
    if (ep.socket_path.empty() || ep.socket_path.front() != '/') {
      throw error(errc::invalid_argument,
                  "unix engine address needs an absolute path: '" + std::string(uri) + "'");
    }
    return ep;
  }
  if (uri.starts_with("/")) {  // a bare socket path, as some tools accept
    ep.socket_path = std::string(uri);
    return ep;
  }
  ep.kind = transport::tcp;
  std::string_view rest = uri;
  if (uri.starts_with("tcp://")) {
    rest = uri.substr(6);
  } else if (uri.starts_with("https://")) {
    rest = uri.substr(8);
    ep.tls = tls_settings{};
  } else if (uri.starts_with("http://")) {
    rest = uri.substr(7);
  } else if (uri.find("://") != std::string_view::npos) {
    throw error(errc::invalid_argument, "unsupported engine address '" + std::string(uri) +
                                            "' (use unix:///path or tcp://host:port)");
  }
  parse_tcp_authority(rest, uri, ep);
  return ep;
}

endpoint endpoint::from_environment(std::optional<std::string> host_override) {
  std::string host = host_override ? *host_override : env_or_empty("DOCKER_HOST");
  endpoint ep = host.empty() ? endpoint{} : parse(host);
  const bool verify = !env_or_empty("DOCKER_TLS_VERIFY").empty();
  if (ep.kind == transport::tcp && (verify || !env_or_empty("DOCKER_TLS").empty())) {
    std::string dir = env_or_empty("DOCKER_CERT_PATH");
    if (dir.empty()) dir = env_or_empty("HOME") + "/.docker";
    // DOCKER_TLS alone is the docker CLI's --tls: encrypted, the engine's certificate not
    // verified (endpoint::to_string says so), a client certificate sent when there is one.
    ep.tls = tls_settings{verify, verify ? dir + "/ca.pem" : std::string(),
                          if_present(dir + "/cert.pem"), if_present(dir + "/key.pem")};
  }
  if (ep.tls && ep.port == 2375 && host.find(":2375") == std::string::npos) ep.port = 2376;
  ep.api_version = env_or_empty("DOCKER_API_VERSION");
  if (ep.api_version.starts_with("v")) ep.api_version.erase(0, 1);
  return ep;
}

}  // namespace forensic::engine
