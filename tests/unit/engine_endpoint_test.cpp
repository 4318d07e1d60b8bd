#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

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

namespace {
// A DOCKER_CERT_PATH holding the named (empty) files; removed at the end.
struct cert_dir {
  std::filesystem::path dir;
  explicit cert_dir(std::initializer_list<const char*> files) {
    dir = std::filesystem::temp_directory_path() / ("endpoint-certs-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    for (const char* f : files) std::ofstream(dir / f) << "x";
  }
  ~cert_dir() { std::filesystem::remove_all(dir); }
  std::string file(const char* f) const { return (dir / f).string(); }
};
}  // namespace

TEST_CASE("environment: DOCKER_HOST, --host override, TLS and API version") {
  cert_dir d({"ca.pem", "cert.pem", "key.pem"});
  scoped_env host("DOCKER_HOST", "tcp://192.0.2.10:2376");
  scoped_env tls("DOCKER_TLS_VERIFY", "1");
  scoped_env certs("DOCKER_CERT_PATH", d.dir.c_str());
  scoped_env api("DOCKER_API_VERSION", "1.40");

  auto ep = endpoint::from_environment();
  CHECK(ep.host == "192.0.2.10");
  REQUIRE(ep.tls);
  CHECK(ep.tls->verify_peer);
  CHECK(ep.tls->ca_file == d.file("ca.pem"));
  CHECK(ep.tls->cert_file == d.file("cert.pem"));
  CHECK(ep.tls->key_file == d.file("key.pem"));
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

TEST_CASE("environment: DOCKER_TLS, and client files sent only when present") {
  {
    cert_dir d({"ca.pem"});  // a server that asks no client certificate
    scoped_env host("DOCKER_HOST", "tcp://192.0.2.10");
    scoped_env tls("DOCKER_TLS_VERIFY", "1");
    scoped_env certs("DOCKER_CERT_PATH", d.dir.c_str());
    auto ep = endpoint::from_environment();
    REQUIRE(ep.tls);
    CHECK(ep.port == 2376);
    CHECK(ep.tls->verify_peer);
    CHECK(ep.tls->ca_file == d.file("ca.pem"));
    CHECK(ep.tls->cert_file.empty());
    CHECK(ep.tls->key_file.empty());
    CHECK(ep.to_string() == "tcp://192.0.2.10:2376 (TLS)");
  }
  {
    cert_dir d({"cert.pem", "key.pem"});
    scoped_env host("DOCKER_HOST", "tcp://192.0.2.10");
    scoped_env tls("DOCKER_TLS", "1");
    scoped_env certs("DOCKER_CERT_PATH", d.dir.c_str());
    auto ep = endpoint::from_environment();
    REQUIRE(ep.tls);
    CHECK(ep.port == 2376);
    CHECK_FALSE(ep.tls->verify_peer);  // the docker CLI's --tls: encrypted, not verified
    CHECK(ep.tls->ca_file.empty());
    CHECK(ep.tls->cert_file == d.file("cert.pem"));
    CHECK(ep.tls->key_file == d.file("key.pem"));
    CHECK(ep.to_string() == "tcp://192.0.2.10:2376 (TLS, engine certificate not verified)");
  }
  {
    scoped_env host("DOCKER_HOST", "tcp://192.0.2.10:2375");
    scoped_env tls("DOCKER_TLS", nullptr);
    scoped_env verify("DOCKER_TLS_VERIFY", nullptr);
    CHECK_FALSE(endpoint::from_environment().tls);
  }
}
