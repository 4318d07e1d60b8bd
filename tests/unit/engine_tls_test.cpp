// The engine client over TCP + TLS with client certificates (DOCKER_TLS_VERIFY's setup),
// against `openssl s_server` on loopback with certificates made by the test.
#include <doctest/doctest.h>

#include <chrono>
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
      CHECK(e.kind() == errc::crypto);
      CHECK(std::string(e.what()).find("127.0.0.1") != std::string::npos);
    }
  }
}

TEST_CASE("missing TLS material is one clear error") {
  engine::client_options o;
  o.where = engine::endpoint::parse("tcp://127.0.0.1:2376");
  o.where.tls = engine::tls_settings{true, "/nonexistent/ca.pem", "/nonexistent/cert.pem",
                                     "/nonexistent/key.pem"};
  try {
    engine::client c(o);
    FAIL("accepted missing certificates");
  } catch (const error& e) {
    CHECK(e.kind() == errc::crypto);
    CHECK(std::string(e.what()).find("/nonexistent/ca.pem") != std::string::npos);
  }
}
