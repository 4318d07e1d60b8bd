// The typed engine operations against a scripted fake engine: the exact method, path and body
// each one sends, and how each reads the answer.
#include <doctest/doctest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "forensic/engine/client.hpp"
#include "forensic/engine/containers.hpp"
#include "forensic/engine/events.hpp"
#include "forensic/engine/networks.hpp"
#include "forensic/engine/operations.hpp"
#include "forensic/engine/pause_guard.hpp"
#include "forensic/engine/requests.hpp"
#include "forensic/error.hpp"
#include "support/fake_engine.hpp"

using namespace forensic;
using forensic::testing::fake_engine;
using forensic::testing::http_response;

namespace {

// Pinned to 1.41: no negotiation, so the fake sees only the requests under test.
engine::client_options pinned(const fake_engine& fake) {
  engine::client_options o;
  o.where = engine::endpoint::parse(fake.uri());
  o.where.api_version = "1.41";
  o.read_timeout = std::chrono::milliseconds(2000);
  o.connect_timeout = std::chrono::milliseconds(1000);
  return o;
}

// Answers `body_for(request line)` to every request.
fake_engine::handler answering(std::function<std::string(const std::string&)> response_for) {
  return [response_for](const std::string& head, const auto& send) {
    send(response_for(head.substr(0, head.find(" HTTP/"))));
  };
}

std::string no_content() { return "HTTP/1.1 204 No Content\r\n\r\n"; }

}  // namespace

TEST_CASE("networks are listed, filtered and inspected by the engine's paths") {
  fake_engine fake(answering([](const std::string&) { return http_response(200, "[]"); }));
  engine::client c(pinned(fake));
  CHECK(engine::list_networks(c) == nlohmann::json::array());
  engine::list_networks(c, {{"driver", "bridge"}});
  engine::inspect_network(c, "my net");
  const auto seen = fake.requests();
  REQUIRE(seen.size() == 3);
  CHECK(seen[0] == "GET /v1.41/networks");
  CHECK(seen[1] == "GET /v1.41/networks?filters=%7B%22driver%22%3A%5B%22bridge%22%5D%7D");
  CHECK(seen[2] == "GET /v1.41/networks/my%20net");
}

TEST_CASE("connect and disconnect send the container and its endpoint config") {
  fake_engine fake(answering([](const std::string&) { return http_response(200, ""); }));
  engine::client c(pinned(fake));
  engine::connect_network(c, "n1", "abc", {{"Aliases", {"web"}}});
  engine::disconnect_network(c, "n1", "abc");
  const auto seen = fake.requests();
  const auto bodies = fake.bodies();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == "POST /v1.41/networks/n1/connect");
  CHECK(bodies[0] == R"({"Container":"abc","EndpointConfig":{"Aliases":["web"]}})");
  CHECK(seen[1] == "POST /v1.41/networks/n1/disconnect");
  CHECK(bodies[1] == R"({"Container":"abc","Force":false})");
  CHECK(engine::request_line(engine::disconnect_request("n1", "abc")) ==
        "POST /networks/n1/disconnect");
}

TEST_CASE("pause and unpause are bodiless POSTs; a conflict keeps the engine's code") {
  fake_engine fake(answering([](const std::string& line) {
    if (line.find("/busy/") != std::string::npos) {
      return http_response(409, R"({"message":"Container busy is already paused"})");
    }
    return no_content();
  }));
  engine::client c(pinned(fake));
  engine::pause(c, "abc");
  engine::unpause(c, "abc");
  CHECK_THROWS_WITH_AS(engine::pause(c, "busy"), doctest::Contains("already paused"), error);
  const auto seen = fake.requests();
  REQUIRE(seen.size() == 3);
  CHECK(seen[0] == "POST /v1.41/containers/abc/pause");
  CHECK(seen[1] == "POST /v1.41/containers/abc/unpause");
  CHECK(fake.bodies()[0].empty());
  CHECK(engine::request_line(engine::pause_request("abc")) == "POST /containers/abc/pause");
}

TEST_CASE("the container state is read from the inspect document, malformed ones included") {
  using nlohmann::json;
  auto s =
      engine::parse_container_state(json::parse(R"({"State":{"Running":true,"Paused":true}})"));
  CHECK(s.running);
  CHECK(s.paused);
  s = engine::parse_container_state(json::parse(R"({"State":{"Running":"yes","Paused":null}})"));
  CHECK_FALSE(s.running);
  CHECK_FALSE(s.paused);
  CHECK_FALSE(engine::parse_container_state(json::parse(R"({"State":null})")).running);
  CHECK_FALSE(engine::parse_container_state(json::parse("[]")).running);

  fake_engine fake(answering(
      [](const std::string&) { return http_response(200, R"({"State":{"Running":true}})"); }));
  engine::client c(pinned(fake));
  CHECK(engine::inspect_state(c, "abc").running);
  CHECK(fake.requests().at(0) == "GET /v1.41/containers/abc/json");
}

TEST_CASE("commit sends the query and labels, and returns the image id") {
  fake_engine fake(answering([](const std::string& line) {
    if (line.find("container=bad") != std::string::npos) return http_response(201, "{}");
    return http_response(201, R"({"Id":"sha256:feed"})");
  }));
  engine::client c(pinned(fake));
  engine::commit_options o;
  o.repo = "forensic/case-web";
  o.tag = "20260101T000000Z";
  o.comment = "forensic evidence, case c1";
  o.labels = {{"b", "2"}, {"a", "1"}};
  CHECK(engine::commit(c, "abc", o) == "sha256:feed");
  CHECK(fake.requests().at(0) ==
        "POST /v1.41/commit?container=abc&repo=forensic%2Fcase-web&tag=20260101T000000Z"
        "&pause=false&comment=forensic%20evidence%2C%20case%20c1");
  CHECK(fake.bodies().at(0) == R"({"Labels":{"a":"1","b":"2"}})");
  CHECK(engine::commit_request("abc", o).read_timeout == std::chrono::minutes(30));
  try {
    engine::commit(c, "bad", o);
    FAIL("expected a protocol error");
  } catch (const error& e) {
    CHECK(e.kind() == errc::protocol);
    CHECK(std::string(e.what()) == "commit answered without an image id");
  }
}

TEST_CASE("images are removed with DELETE; streamed requests name the engine's paths") {
  fake_engine fake(answering([](const std::string&) { return http_response(200, "[]"); }));
  engine::client c(pinned(fake));
  engine::remove_image(c, "sha256:feed");
  CHECK(fake.requests().at(0) == "DELETE /v1.41/images/sha256:feed");

  CHECK(engine::container_export_request("abc").target == "/containers/abc/export");
  CHECK(engine::container_changes_request("abc").target == "/containers/abc/changes");
  CHECK(engine::container_logs_request("abc").target ==
        "/containers/abc/logs?stdout=1&stderr=1&timestamps=1");
  CHECK(engine::image_inspect_request("sha256:f").target == "/images/sha256:f/json");
  CHECK(engine::image_history_request("sha256:f").target == "/images/sha256:f/history");
  CHECK(engine::image_save_request("forensic/x:1").target == "/images/get?names=forensic%2Fx%3A1");
  CHECK(engine::container_logs_request("abc").method == "GET");
  CHECK(engine::describe(c, engine::inspect_request("abc")) == "GET /v1.41/containers/abc/json");
  CHECK(engine::versioned_target(c, engine::inspect_request("abc")) ==
        "/v1.41/containers/abc/json");
}

TEST_CASE("events are asked up to a time and parsed line by line") {
  fake_engine fake(answering([](const std::string&) {
    return http_response(200, "{\"Type\":\"network\"}\n\n{\"Type\":\"container\"}\n");
  }));
  engine::client c(pinned(fake));
  const auto until = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  const auto got = engine::events(c, {.since = std::chrono::system_clock::time_point{},
                                      .until = until,
                                      .filters = {{"type", "network"}, {"type", "container"}}});
  REQUIRE(got.size() == 2);
  CHECK(got[0].type == "network");
  CHECK(got[0].doc.value("Type", "") == "network");
  CHECK(fake.requests().at(0) ==
        "GET /v1.41/events?since=0&until=1700000000"
        "&filters=%7B%22type%22%3A%5B%22network%22%2C%22container%22%5D%7D");
  CHECK(engine::events_request({}).target == "/events");
}

TEST_CASE("inspect_containers leaves out a container removed meanwhile") {
  fake_engine fake(answering([](const std::string& line) {
    if (line.find("/gone/") != std::string::npos) {
      return http_response(404, R"({"message":"No such container: gone"})");
    }
    return http_response(200, R"({"Id":"abc","Name":"/web","State":{"Pid":7}})");
  }));
  engine::client c(pinned(fake));
  const auto found = engine::inspect_containers(c, {"abc", "gone"});
  REQUIRE(found.size() == 1);
  CHECK(found[0].name() == "web");
}

namespace {

// An engine whose container is running (and paused when `paused`), answering `unpause_status`
// to unpause.
fake_engine::handler container_engine(bool running, bool paused, int unpause_status = 204) {
  return answering([=](const std::string& line) {
    if (line.ends_with("/json")) {
      return http_response(
          200, nlohmann::json{{"State", {{"Running", running}, {"Paused", paused}}}}.dump());
    }
    if (line.ends_with("/unpause") && unpause_status != 204) {
      return http_response(unpause_status, R"({"message":"Container abc is not paused"})");
    }
    return no_content();
  });
}

}  // namespace

TEST_CASE("the pause guard pauses a running container and unpauses it on every path") {
  fake_engine fake(container_engine(true, false));
  engine::client c(pinned(fake));
  {
    engine::pause_guard guard(c, "abc", true);
    CHECK(guard.paused_by_us());
    CHECK(guard.note() == "paused for the filesystem steps, then unpaused");
  }
  try {
    engine::pause_guard guard(c, "abc", true);
    throw error(errc::io, "disk gone");
  } catch (const error&) {
  }
  const auto seen = fake.requests();
  REQUIRE(seen.size() == 6);
  CHECK(seen[0] == "GET /v1.41/containers/abc/json");
  CHECK(seen[1] == "POST /v1.41/containers/abc/pause");
  CHECK(seen[2] == "POST /v1.41/containers/abc/unpause");
  CHECK(seen[5] == "POST /v1.41/containers/abc/unpause");
}

TEST_CASE("the pause guard leaves alone what it did not pause, and keeps a pause when asked") {
  SUBCASE("already paused") {
    fake_engine fake(container_engine(true, true));
    engine::client c(pinned(fake));
    {
      engine::pause_guard guard(c, "abc", true);
      CHECK(guard.note() == "was already paused before collection; left paused");
      CHECK_FALSE(guard.paused_by_us());
    }
    CHECK(fake.requests().size() == 1);
  }
  SUBCASE("not running") {
    fake_engine fake(container_engine(false, false));
    engine::client c(pinned(fake));
    {
      engine::pause_guard guard(c, "abc", true);
      CHECK(guard.note() == "not paused (not running)");
    }
    CHECK(fake.requests().size() == 1);
  }
  SUBCASE("asked not to") {
    fake_engine fake(container_engine(true, false));
    engine::client c(pinned(fake));
    {
      engine::pause_guard guard(c, "abc", false);
      CHECK(guard.note() == "not paused (asked not to)");
    }
    CHECK(fake.requests().empty());
  }
  SUBCASE("left paused") {
    fake_engine fake(container_engine(true, false));
    engine::client c(pinned(fake));
    {
      engine::pause_guard guard(c, "abc", true);
      guard.leave_paused();
    }
    const auto seen = fake.requests();
    REQUIRE(seen.size() == 2);
    CHECK(seen[1] == "POST /v1.41/containers/abc/pause");
  }
  SUBCASE("unpaused by someone else meanwhile") {
    fake_engine fake(container_engine(true, false, 409));
    engine::client c(pinned(fake));
    engine::pause_guard guard(c, "abc", true);
    guard.release();  // a conflict means there is nothing left to unpause
    CHECK_FALSE(guard.paused_by_us());
  }
}
