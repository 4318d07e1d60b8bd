#pragma once
// Where the Docker engine listens, following the docker CLI's own conventions:
// DOCKER_HOST (unix:///path, tcp://host:port), DOCKER_TLS_VERIFY, DOCKER_TLS, DOCKER_CERT_PATH
// (ca.pem, cert.pem, key.pem) and DOCKER_API_VERSION. A --host option overrides DOCKER_HOST.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace forensic::engine {

struct tls_settings {
  bool verify_peer = true;
  std::string ca_file;    // PEM bundle used to verify the engine's certificate ("": system's)
  std::string cert_file;  // client certificate ("": none sent)
  std::string key_file;   // client private key
};

struct endpoint {
  enum class transport { unix_socket, tcp };

  transport kind = transport::unix_socket;
  std::string socket_path = "/var/run/docker.sock";
  std::string host;  // tcp only
  std::uint16_t port = 2375;
  std::optional<tls_settings> tls;  // tcp only; engaged means HTTPS
  std::string api_version;          // pinned ("1.41"); empty means negotiate

  // "unix:///var/run/docker.sock", "tcp://10.0.0.1:2376" (with "+tls" noted when encrypted).
  std::string to_string() const;

  // Parses unix:///path, tcp://host[:port], host:port, [v6]:port. Throws
  // forensic::error(invalid_argument) with the offending text.
  static endpoint parse(std::string_view uri);

  // The docker CLI's rules: `host_override` (a --host option) wins over DOCKER_HOST; TLS is on
  // when DOCKER_TLS_VERIFY is set (non-empty), with files from DOCKER_CERT_PATH (default
  // ~/.docker): the engine verified against ca.pem, cert.pem and key.pem sent only when they
  // exist (a server that asks no client certificate needs ca.pem alone). DOCKER_TLS (non-empty)
  // without DOCKER_TLS_VERIFY is TLS without verifying the engine (the CLI's --tls), with the
  // client certificate when present. DOCKER_API_VERSION pins the API version.
  static endpoint from_environment(std::optional<std::string> host_override = std::nullopt);
};

}  // namespace forensic::engine
