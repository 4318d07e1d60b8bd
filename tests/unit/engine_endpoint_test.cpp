#include <doctest/doctest.h>

#include <cstdlib>

#include "forensic/engine/endpoint.hpp"
#include "forensic/error.hpp"

using forensic::engine::endpoint;

namespace {
struct scoped_env {
  std::string name;
  scoped_env(const char* n, const char* value) : name(n) {
    if (value)
      ::setenv(n, value, 1);
    else
      ::unsetenv(n);
  }
  ~scoped_env() { ::unsetenv(name.c_str()); }
};
}  // namespace

TEST_CASE("endpoint URIs parse the docker CLI's way") {
  auto unix_ep = endpoint::parse("unix:///run/user/1000/docker.sock");
  CHECK(unix_ep.kind == endpoint::transport::unix_socket);
  CHECK(unix_ep.socket_path == "/run/user/1000/docker.sock");

  auto tcp = endpoint::parse("tcp://10.1.2.3:2376");
  CHECK(tcp.kind == endpoint::transport::tcp);
  CHECK(tcp.host == "10.1.2.3");
  CHECK(tcp.port == 2376);
  CHECK_FALSE(tcp.tls);

  auto v6 = endpoint::parse("tcp://[fd00::1]:2375");
  CHECK(v6.host == "fd00::1");
  CHECK(v6.port == 2375);
  CHECK(v6.to_string() == "tcp://[fd00::1]:2375");

  CHECK(endpoint::parse("tcp://engine.local").port == 2375);
  CHECK(endpoint::parse("https://engine.local:2376").tls.has_value());
}

TEST_CASE("bad endpoint URIs are rejected with the offending text") {
  for (const char* bad :
       {"unix://relative.sock", "tcp://host:99999", "tcp://:2375", "ssh://x", "tcp://[fd00::1"}) {
    try {
      endpoint::parse(bad);
      FAIL("accepted " << bad);
    } catch (const forensic::error& e) {
      CHECK(e.kind() == forensic::errc::invalid_argument);
      CHECK(std::string(e.what()).find(std::string(bad).substr(0, 5)) != std::string::npos);
    }
  }
}

TEST_CASE("environment: DOCKER_HOST, --host override, TLS and API version") {
  scoped_env host("DOCKER_HOST", "tcp://192.0.2.10:2376");
  scoped_env tls("DOCKER_TLS_VERIFY", "1");
  scoped_env certs("DOCKER_CERT_PATH", "/etc/docker-certs");
  scoped_env api("DOCKER_API_VERSION", "1.40");

  auto ep = endpoint::from_environment();
  CHECK(ep.host == "192.0.2.10");
  REQUIRE(ep.tls);
  CHECK(ep.tls->ca_file == "/etc/docker-certs/ca.pem");
  CHECK(ep.tls->cert_file == "/etc/docker-certs/cert.pem");
  CHECK(ep.tls->key_file == "/etc/docker-certs/key.pem");
  CHECK(ep.api_version == "1.40");

  auto overridden = endpoint::from_environment(std::string("unix:///tmp/other.sock"));
  CHECK(overridden.kind == endpoint::transport::unix_socket);
  CHECK(overridden.socket_path == "/tmp/other.sock");
  CHECK_FALSE(overridden.tls);
}

TEST_CASE("no environment means the default unix socket") {
  scoped_env host("DOCKER_HOST", nullptr);
  auto ep = endpoint::from_environment();
  CHECK(ep.kind == endpoint::transport::unix_socket);
  CHECK(ep.to_string() == "unix:///var/run/docker.sock");
}
