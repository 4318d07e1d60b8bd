// The engine client over TCP + TLS with client certificates (DOCKER_TLS_VERIFY's setup),
// against `openssl s_server` on loopback with certificates made by the test: Docker's
// conventions (DOCKER_TLS, ca.pem alone), and failures that name their cause.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "forensic/engine/client.hpp"
#include "support/process.hpp"

using namespace forensic;
using namespace forensic::testing;
namespace fs = std::filesystem;

namespace {

// A CA, a server certificate for IP 127.0.0.1 and a client certificate, as dockerd's TLS
// guide makes them.
struct tls_material {
  fs::path dir;
  tls_material() {
    dir = fs::temp_directory_path() / ("tls-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string d = dir.string();
    auto r = sh("set -e; cd " + d +
                "\n"
                "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 "
                "  -subj /CN=test-ca 2>/dev/null\n"
                "openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem "
                "  -days 1 -subj /CN=other-ca 2>/dev/null\n"
                "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
                "  -subj /CN=127.0.0.1 2>/dev/null\n"
                "printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > srv.ext\n"
                "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                "  -out server.pem -days 1 -extfile srv.ext 2>/dev/null\n"
                "openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr "
                "  -subj /CN=client 2>/dev/null\n"
                "printf 'extendedKeyUsage=clientAuth\\n' > cli.ext\n"
                "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                "  -out cert.pem -days 1 -extfile cli.ext 2>/dev/null\n");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  }
  ~tls_material() { fs::remove_all(dir); }
  std::string file(const char* name) const { return (dir / name).string(); }
};

engine::client_options tls_options(const tls_material& m, int port, const char* ca) {
  engine::client_options o;
  o.where = engine::endpoint::parse("tcp://127.0.0.1:" + std::to_string(port));
  o.where.tls = engine::tls_settings{true, m.file(ca), m.file("cert.pem"), m.file("key.pem")};
  o.where.api_version = "1.41";
  o.read_timeout = std::chrono::milliseconds(3000);
  return o;
}

void wait_for_port(int port) {
  for (int i = 0; i < 100; ++i) {
    if (run({"bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port)}).exit_code == 0) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

TEST_CASE("TLS with a client certificate, verified against the engine's CA") {
  if (run({"openssl", "version"}).exit_code != 0) return;  // openssl CLI absent: nothing to test
  tls_material m;
  const int port = free_loopback_port();
  // -Verify 1 makes the server demand a client certificate, as dockerd --tlsverify does.
  background_process server({"openssl", "s_server", "-quiet", "-accept",
                             "127.0.0.1:" + std::to_string(port), "-cert", m.file("server.pem"),
                             "-key", m.file("server.key"), "-CAfile", m.file("ca.pem"), "-Verify",
                             "1", "-www"});
  wait_for_port(port);

  {
    engine::client c(tls_options(m, port, "ca.pem"));
    // s_server -www answers any GET with its status page over HTTP/1.0.
    std::string body = c.get_raw("/_ping");
    CHECK(body.find("Ciphers") != std::string::npos);
  }
  {
    engine::client c(tls_options(m, port, "other-ca.pem"));
    try {
      c.get_raw("/_ping");
      FAIL("a server signed by another CA was accepted");
    } catch (const error& e) {
      // Never reached the engine (exit 3), and the line says why and with which CA file.
      const std::string what = e.what();
      INFO(what);
      CHECK(e.kind() == errc::engine_unreachable);
      CHECK(what.find("tcp://127.0.0.1:" + std::to_string(port)) != std::string::npos);
      CHECK(what.find("certificate verify failed") != std::string::npos);
      CHECK(what.find(m.file("other-ca.pem")) != std::string::npos);
    }
  }
  {
    // No client certificate to a server that demands one: never reached, with the hint.
    auto o = tls_options(m, port, "ca.pem");
    o.where.tls->cert_file.clear();
    o.where.tls->key_file.clear();
    engine::client c(o);
    try {
      c.get_raw("/_ping");
      FAIL("a server demanding a client certificate answered without one");
    } catch (const error& e) {
      INFO(e.what());
      CHECK(e.kind() == errc::engine_unreachable);
      CHECK(std::string(e.what()).find("client certificate") != std::string::npos);
    }
  }
}

namespace {

// What the client constructor throws for `settings`, or "" when it accepts them.
std::string construct_error(const engine::tls_settings& settings, errc* kind = nullptr) {
  engine::client_options o;
  o.where = engine::endpoint::parse("tcp://127.0.0.1:2376");
  o.where.tls = settings;
  try {
    engine::client c(o);
  } catch (const error& e) {
    if (kind) *kind = e.kind();
    return e.what();
  }
  return {};
}

struct scoped_env {
  std::string name;
  scoped_env(const char* n, const std::string& value) : name(n) { ::setenv(n, value.c_str(), 1); }
  ~scoped_env() { ::unsetenv(name.c_str()); }
};

// A one-shot plain TCP server on loopback that answers any request with `reply` (what Go's
// net/http, dockerd's server, says to plain HTTP on its TLS port).
struct canned_server {
  int fd = -1;
  int port = 0;
  std::thread thread;
  explicit canned_server(std::string reply) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    port = ntohs(addr.sin_port);
    thread = std::thread([this, reply = std::move(reply)] {
      const int c = ::accept(fd, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      (void)::read(c, buf, sizeof buf);
      (void)::write(c, reply.data(), reply.size());
      ::close(c);
    });
  }
  ~canned_server() {
    ::shutdown(fd, SHUT_RDWR);
    thread.join();
    ::close(fd);
  }
};

}  // namespace

TEST_CASE("missing or unreadable TLS material is one error naming the file") {
  tls_material m;
  errc kind{};
  // The CA file: missing, a directory.
  std::string what = construct_error(
      engine::tls_settings{true, "/nonexistent/ca.pem", m.file("cert.pem"), m.file("key.pem")},
      &kind);
  CHECK(kind == errc::engine_unreachable);
  CHECK(what.find("CA file /nonexistent/ca.pem") != std::string::npos);
  CHECK(what.find("No such file") != std::string::npos);
  CHECK(what.find("tcp://127.0.0.1:2376") != std::string::npos);
  what = construct_error(
      engine::tls_settings{true, m.dir.string(), m.file("cert.pem"), m.file("key.pem")}, &kind);
  CHECK(kind == errc::engine_unreachable);
  CHECK(what.find("CA file " + m.dir.string() +
                  " for tcp://127.0.0.1:2376 (TLS) is not readable") != std::string::npos);
  // The client key alone missing: named, not the CA.
  what = construct_error(
      engine::tls_settings{true, m.file("ca.pem"), m.file("cert.pem"), "/nonexistent/key.pem"});
  CHECK(what.find("client key /nonexistent/key.pem") != std::string::npos);
  CHECK(what.find("ca.pem") == std::string::npos);
  // A file that is not PEM.
  what = construct_error(
      engine::tls_settings{true, m.file("ca.pem"), m.file("srv.ext"), m.file("key.pem")}, &kind);
  CHECK(kind == errc::engine_unreachable);
  CHECK(what.find("client certificate " + m.file("srv.ext")) != std::string::npos);
  // Complete material is accepted.
  CHECK(construct_error(engine::tls_settings{true, m.file("ca.pem"), m.file("cert.pem"),
                                             m.file("key.pem")}) == "");
}

TEST_CASE("Docker's conventions: ca.pem alone, DOCKER_TLS without a client certificate") {
  tls_material m;
  // DOCKER_CERT_PATH holding only ca.pem, as for a server that asks no client certificate.
  const fs::path only_ca = m.dir / "only-ca";
  fs::create_directories(only_ca);
  fs::copy_file(m.dir / "ca.pem", only_ca / "ca.pem");
  const int port = free_loopback_port();
  // No -Verify: the server does not ask for a client certificate.
  background_process server({"openssl", "s_server", "-quiet", "-accept",
                             "127.0.0.1:" + std::to_string(port), "-cert", m.file("server.pem"),
                             "-key", m.file("server.key"), "-www"});
  wait_for_port(port);
  const std::string host = "tcp://127.0.0.1:" + std::to_string(port);
  {
    scoped_env verify("DOCKER_TLS_VERIFY", "1");
    scoped_env certs("DOCKER_CERT_PATH", only_ca.string());
    engine::client_options o;
    o.where = engine::endpoint::from_environment(host);
    o.where.api_version = "1.41";
    REQUIRE(o.where.tls);
    CHECK(o.where.tls->verify_peer);
    CHECK(o.where.tls->ca_file == (only_ca / "ca.pem").string());
    CHECK(o.where.tls->cert_file.empty());  // absent files are not sent, as the docker CLI does
    CHECK(o.where.tls->key_file.empty());
    engine::client c(o);
    CHECK(c.get_raw("/_ping").find("Ciphers") != std::string::npos);
  }
  {
    // DOCKER_TLS=1: TLS, the engine's certificate not verified (an empty directory, no CA).
    const fs::path empty = m.dir / "empty";
    fs::create_directories(empty);
    scoped_env tls("DOCKER_TLS", "1");
    scoped_env certs("DOCKER_CERT_PATH", empty.string());
    engine::client_options o;
    o.where = engine::endpoint::from_environment(host);
    o.where.api_version = "1.41";
    REQUIRE(o.where.tls);
    CHECK_FALSE(o.where.tls->verify_peer);
    CHECK(o.where.tls->cert_file.empty());
    CHECK(o.where.to_string().find("not verified") != std::string::npos);
    engine::client c(o);
    CHECK(c.get_raw("/_ping").find("Ciphers") != std::string::npos);
  }
  {
    // Plain HTTP against the TLS port: never reached, with the hint that TLS may be needed.
    engine::client_options o;
    o.where = engine::endpoint::parse(host);
    o.where.api_version = "1.41";
    o.read_timeout = std::chrono::milliseconds(3000);
    engine::client c(o);
    try {
      c.get_raw("/_ping");
      FAIL("a TLS port answered plain HTTP");
    } catch (const error& e) {
      INFO(e.what());
      CHECK(e.kind() == errc::engine_unreachable);
      CHECK(std::string(e.what()).find("TLS may be needed") != std::string::npos);
      CHECK(std::string(e.what()).find(host) != std::string::npos);
    }
  }
}

TEST_CASE("plain HTTP answered by dockerd's TLS port (Go's 400) says TLS may be needed") {
  canned_server server(
      "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n");
  engine::client_options o;
  o.where = engine::endpoint::parse("tcp://127.0.0.1:" + std::to_string(server.port));
  o.where.api_version = "1.41";
  o.read_timeout = std::chrono::milliseconds(3000);
  engine::client c(o);
  try {
    c.get_raw("/_ping");
    FAIL("the 400 was taken for an answer");
  } catch (const error& e) {
    INFO(e.what());
    CHECK(e.kind() == errc::engine_unreachable);
    CHECK(std::string(e.what()).find("TLS may be needed") != std::string::npos);
  }
}
