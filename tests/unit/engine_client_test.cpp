// The engine client against a scripted fake engine: version negotiation, error mapping,
// chunked streaming, truncation, stalls, cancellation, batches.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "forensic/engine/client.hpp"
#include "forensic/io/hashing_sink.hpp"
#include "forensic/io/sha256.hpp"
#include "support/fake_engine.hpp"

using namespace forensic;
using forensic::testing::chunk;
using forensic::testing::fake_engine;
using forensic::testing::http_response;

namespace {

const std::string version_body =
    R"({"Version":"20.10.24","ApiVersion":"1.41","MinAPIVersion":"1.12","Os":"linux"})";

engine::client_options options_for(const fake_engine& fake, int read_ms = 2000) {
  engine::client_options o;
  o.where = engine::endpoint::parse(fake.uri());
  o.read_timeout = std::chrono::milliseconds(read_ms);
  o.connect_timeout = std::chrono::milliseconds(1000);
  return o;
}

// Options that skip negotiation (as DOCKER_API_VERSION does): for fakes that answer only the
// request under test.
engine::client_options pinned(engine::client_options o) {
  o.where.api_version = "1.41";
  return o;
}

// dockerd's answer to /_ping: the highest API version it speaks is a header.
std::string pong(const std::string& api_version) {
  return "HTTP/1.1 200 OK\r\nApi-Version: " + api_version +
         "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n\r\nOK";
}

// Answers /_ping and /version as dockerd 20.10 does, and `body_for(target)` for everything else.
fake_engine::handler versioned(std::function<std::string(const std::string&)> response_for) {
  return [response_for](const std::string& head, const auto& send) {
    if (head.starts_with("GET /_ping ")) {
      send(pong("1.41"));
    } else if (head.starts_with("GET /version ")) {
      send(http_response(200, version_body));
    } else {
      send(response_for(head.substr(0, head.find(" HTTP/"))));
    }
  };
}

errc error_kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const error& e) {
    return e.kind();
  }
  FAIL("no forensic::error thrown");
  return errc::io;
}

}  // namespace

TEST_CASE("negotiates the API version and prefixes request paths") {
  fake_engine fake(versioned([](const std::string&) { return http_response(200, "[]"); }));
  engine::client c(options_for(fake));
  CHECK(c.get_json("/containers/json?all=1") == nlohmann::json::array());
  CHECK(c.api_version() == "1.41");
  auto seen = fake.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == "GET /_ping");
  CHECK(seen[1] == "GET /v1.41/containers/json?all=1");
}

TEST_CASE("a newer engine is spoken to at the newest version this library knows") {
  fake_engine fake([](const std::string& head, const auto& send) {
    send(head.starts_with("GET /_ping ") ? pong("1.99") : http_response(200, "{}"));
  });
  engine::client c(options_for(fake));
  CHECK(c.api_version() == engine::client::max_api_version);
}

TEST_CASE("an engine that does not send Api-Version on /_ping is asked /version") {
  fake_engine fake([](const std::string& head, const auto& send) {
    if (head.starts_with("GET /version ")) {
      send(http_response(200, R"({"ApiVersion":"1.40","MinAPIVersion":"1.12"})"));
    } else {
      send(http_response(200, "OK", "text/plain"));
    }
  });
  engine::client c(options_for(fake));
  CHECK(c.api_version() == "1.40");
  auto seen = fake.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == "GET /_ping");
  CHECK(seen[1] == "GET /version");
}

TEST_CASE("an engine older than this library needs is refused with its version named") {
  fake_engine fake([](const std::string&, const auto& send) { send(pong("1.12")); });
  engine::client c(options_for(fake));
  try {
    c.api_version();
    FAIL("expected engine_error");
  } catch (const error& e) {
    CHECK(e.kind() == errc::engine_error);
    CHECK(std::string(e.what()).find("1.12") != std::string::npos);
  }
}

TEST_CASE("a pinned DOCKER_API_VERSION skips negotiation") {
  fake_engine fake([](const std::string&, const auto& send) { send(http_response(200, "{}")); });
  auto o = options_for(fake);
  o.where.api_version = "1.40";
  engine::client c(o);
  c.get_json("/info");
  auto seen = fake.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == "GET /v1.40/info");
}

TEST_CASE("engine errors keep the engine's message and map to typed codes") {
  fake_engine fake(versioned([](const std::string& target) {
    if (target.find("missing") != std::string::npos) {
      return http_response(404, R"({"message":"No such container: missing"})");
    }
    if (target.find("paused") != std::string::npos) {
      return http_response(409, R"({"message":"Container abc is already paused"})");
    }
    return http_response(500, R"({"message":"boom"})");
  }));
  engine::client c(options_for(fake));
  try {
    c.get_json("/containers/missing/json");
    FAIL("expected not_found");
  } catch (const error& e) {
    CHECK(e.kind() == errc::not_found);
    CHECK(std::string(e.what()).find("No such container: missing") != std::string::npos);
  }
  CHECK(error_kind_of([&] { c.post_json("/containers/paused/pause"); }) == errc::conflict);
  CHECK(error_kind_of([&] { c.get_json("/other"); }) == errc::engine_error);
}

TEST_CASE("a chunked body streams into the sink whole, whatever the chunk sizes") {
  std::string expected;
  for (int i = 0; i < 5000; ++i) expected += "line " + std::to_string(i) + "\n";
  fake_engine fake(versioned([&](const std::string&) {
    std::string r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    std::size_t pos = 0, size = 1;
    while (pos < expected.size()) {
      r += chunk(expected.substr(pos, size));
      pos += size;
      size = size * 3 % 70001 + 1;
    }
    return r + "0\r\n\r\n";
  }));
  engine::client c(options_for(fake));
  io::string_sink sink;
  auto info = c.call(engine::request::get("/containers/x/export"), sink, true);
  CHECK(info.status == 200);
  CHECK(sink.str() == expected);
  CHECK(info.bytes == expected.size());
  CHECK(info.sha256.size() == 64);
}

TEST_CASE("a chunked body arriving in pieces that split chunk headers streams whole") {
  std::string expected;
  for (int i = 0; i < 300; ++i) expected += "row " + std::to_string(i) + ";";
  fake_engine slow([&](const std::string&, const auto& send) {
    std::string r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (std::size_t pos = 0; pos < expected.size(); pos += 97)
      r += chunk(expected.substr(pos, 97));
    r += "0\r\n\r\n";
    // Five bytes at a time, each its own read on our side: chunk sizes, their CRLFs and the
    // last chunk all arrive split.
    for (std::size_t pos = 0; pos < r.size(); pos += 5) {
      send(r.substr(pos, 5));
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  engine::client c(pinned(options_for(slow)));
  io::string_sink sink;
  auto info = c.call(engine::request::get("/containers/x/logs"), sink, true);
  CHECK(sink.str() == expected);
  CHECK(info.bytes == expected.size());
  CHECK(info.sha256 == io::sha256::of(expected));
}

TEST_CASE("a body that runs to the end of the connection is whole, not cut short") {
  const std::string expected(300000, 'z');
  fake_engine fake([&](const std::string&, const auto& send) {
    send("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + expected);
    send("");  // the end of the body is the end of the connection
  });
  engine::client c(pinned(options_for(fake)));
  io::string_sink sink;
  auto info = c.call(engine::request::get("/containers/x/export"), sink, true);
  CHECK(sink.str() == expected);
  CHECK(info.sha256 == io::sha256::of(expected));
}

TEST_CASE("a sink that hashes what it is given supplies the body's digest to the observer") {
  const std::string body(1 << 20, 'q');
  fake_engine fake(versioned([&](const std::string&) { return http_response(200, body); }));
  engine::client c(options_for(fake));
  std::vector<engine::exchange_record> seen;
  c.set_observer([&](const engine::exchange_record& r) { seen.push_back(r); });
  io::counting_sink counted;
  io::hashing_sink hashed(&counted);
  auto info = c.call(engine::request::get("/containers/x/export"), hashed);
  CHECK(counted.count() == body.size());
  CHECK(hashed.hex_digest() == io::sha256::of(body));
  CHECK(info.sha256 == hashed.hex_digest());
  REQUIRE(!seen.empty());
  CHECK(seen.back().sha256 == hashed.hex_digest());
}

TEST_CASE("a body cut short is an error, not a short success") {
  fake_engine fake([](const std::string&, const auto& send) {
    send(std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") +
         chunk("partial data"));
    send("");  // hang up without the last chunk
  });
  engine::client c(pinned(options_for(fake)));
  io::string_sink sink;
  CHECK(error_kind_of([&] { c.call(engine::request::get("/x"), sink); }) == errc::protocol);
}

TEST_CASE("a stalled engine times out with one clear message") {
  fake_engine fake([](const std::string&, const auto&) { /* never answers */ });
  engine::client c(pinned(options_for(fake, 300)));
  auto started = std::chrono::steady_clock::now();
  try {
    c.get_json("/containers/json");
    FAIL("expected timeout");
  } catch (const error& e) {
    CHECK(e.kind() == errc::timeout);
    CHECK(std::string(e.what()).find(fake.uri()) != std::string::npos);
  }
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
}

TEST_CASE("the cancel flag aborts a waiting call") {
  fake_engine fake([](const std::string&, const auto&) {});
  engine::client c(pinned(options_for(fake, 30000)));
  std::atomic<bool> cancel{false};
  c.set_cancel_flag(&cancel);
  std::thread trigger([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    cancel = true;
  });
  CHECK(error_kind_of([&] { c.get_json("/containers/json"); }) == errc::cancelled);
  trigger.join();
}

TEST_CASE("an absent engine is reported as unreachable, naming the endpoint") {
  engine::client_options o;
  o.where = engine::endpoint::parse("unix:///nonexistent/docker.sock");
  engine::client c(o);
  try {
    c.version();
    FAIL("expected engine_unreachable");
  } catch (const error& e) {
    CHECK(e.kind() == errc::engine_unreachable);
    std::string what = e.what();
    CHECK(what.find("unix:///nonexistent/docker.sock") != std::string::npos);
    CHECK(what.find("dockerd") != std::string::npos);
  }
}

TEST_CASE("a batch fetches every target over several connections and reports failures") {
  fake_engine fake(versioned([](const std::string& target) {
    if (target.find("/gone/") != std::string::npos) {
      return http_response(404, R"({"message":"No such container: gone"})");
    }
    return http_response(200, R"({"target":")" + target.substr(4) + "\"}");
  }));
  engine::client c(options_for(fake));
  std::vector<std::string> targets;
  for (int i = 0; i < 20; ++i) targets.push_back("/containers/c" + std::to_string(i) + "/json");
  targets.push_back("/containers/gone/json");
  auto results = c.get_json_batch(targets, 4);
  REQUIRE(results.size() == targets.size());
  for (std::size_t i = 0; i + 1 < targets.size(); ++i) {
    REQUIRE_FALSE(results[i].failure);
    CHECK(results[i].body["target"] == "/v1.41" + targets[i]);
  }
  REQUIRE(results.back().failure);
  CHECK(results.back().failure->kind() == errc::not_found);
}

TEST_CASE("the observer sees every exchange with the hash of its body") {
  fake_engine fake(versioned([](const std::string&) { return http_response(200, "[1,2]"); }));
  engine::client c(options_for(fake));
  std::vector<engine::exchange_record> seen;
  c.set_observer([&](const engine::exchange_record& r) { seen.push_back(r); });
  c.get_json("/containers/json");
  REQUIRE(seen.size() == 2);
  CHECK(seen[1].target == "/v1.41/containers/json");
  CHECK(seen[1].status == 200);
  CHECK(seen[1].bytes == 5);
  // sha256("[1,2]")
  CHECK(seen[1].sha256 == "49a64717d5d4cb19952e6eac2946415cf6879adacf9908e7d872332d32c6e684");
}

TEST_CASE("API versions compare numerically") {
  CHECK(engine::compare_api_versions("1.9", "1.41") < 0);
  CHECK(engine::compare_api_versions("1.41", "1.41") == 0);
  CHECK(engine::compare_api_versions("2.0", "1.45") > 0);
}
