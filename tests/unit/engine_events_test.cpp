// The engine's event history: the request a window makes, its body split into events kept byte
// for byte, and the engine's time stamps; and where the engine keeps its own files.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "forensic/engine/client.hpp"
#include "forensic/engine/events.hpp"
#include "forensic/engine/host_files.hpp"
#include "forensic/io/time.hpp"
#include "support/fake_engine.hpp"
#include "support/scratch.hpp"

using namespace forensic;
using forensic::testing::fake_engine;
using forensic::testing::http_response;

namespace {

// Two lines as dockerd 20.10 sent them (an exec's action carries its command line).
const std::string create_line =
    R"({"status":"create","id":"6b85b1fec8b1","from":"irtest/busybox:latest","Type":"container","Action":"create","Actor":{"ID":"6b85b1fec8b1","Attributes":{"image":"irtest/busybox:latest","name":"web"}},"scope":"local","time":1796200579,"timeNano":1796200579535098151})";
const std::string exec_line =
    R"({"status":"exec_create: sh -c echo hi","id":"6b85b1fec8b1","Type":"container","Action":"exec_create: sh -c echo hi","Actor":{"ID":"6b85b1fec8b1","Attributes":{"execID":"e1","name":"web"}},"scope":"local","time":1796200580,"timeNano":1796200580000000001})";

}  // namespace

TEST_CASE("events: each line is kept as sent, with the fields needed to order it") {
  const auto events = engine::parse_events(create_line + "\n\n" + exec_line + "\n");
  REQUIRE(events.size() == 2);
  CHECK(events[0].raw == create_line);
  CHECK(events[0].time_nano == 1796200579535098151LL);
  CHECK(events[0].type == "container");
  CHECK(events[0].action == "create");
  CHECK(events[0].actor_id == "6b85b1fec8b1");
  CHECK(events[1].raw == exec_line);
  CHECK(events[1].action == "exec_create: sh -c echo hi");
  // No trailing newline, and an old engine's seconds-only time.
  const auto old = engine::parse_events(R"({"Type":"container","Action":"die","time":12})");
  REQUIRE(old.size() == 1);
  CHECK(old[0].time_nano == 12000000000LL);
  CHECK(old[0].actor_id.empty());
  CHECK(engine::parse_events("").empty());
}

TEST_CASE("events: a line that is not a JSON object is a protocol error naming it") {
  try {
    engine::parse_events(create_line + "\n{\"Type\": tru\n");
    FAIL("no error");
  } catch (const error& e) {
    CHECK(e.kind() == errc::protocol);
    CHECK(std::string(e.what()).find("line 2") != std::string::npos);
  }
  CHECK_THROWS_AS(engine::parse_events("[1]\n"), error);
}

TEST_CASE("events: times are sent to the nanosecond, whole seconds as they are") {
  const auto t = *forensic::io::parse_rfc3339("2026-11-23T09:00:00.123456789Z");
  CHECK(engine::unix_timestamp(t) == "1795424400.123456789");
  CHECK(engine::unix_timestamp(*forensic::io::parse_rfc3339("2026-11-23T10:00:00+01:00")) ==
        "1795424400");
  CHECK(engine::unix_timestamp(*forensic::io::parse_rfc3339("2026-11-23T09:00:00.5Z")) ==
        "1795424400.500000000");
}

TEST_CASE("events: a window is one bounded request with its filters, answered in order") {
  fake_engine fake([](const std::string& head, const auto& send) {
    send(http_response(200, create_line + "\n" + exec_line + "\n"));
    (void)head;
  });
  engine::client_options o;
  o.where = engine::endpoint::parse(fake.uri());
  o.where.api_version = "1.41";
  engine::client c(o);
  const auto since = *forensic::io::parse_rfc3339("2026-11-23T09:00:00.000000001Z");
  const auto until = *forensic::io::parse_rfc3339("2026-11-23T09:05:00Z");
  const auto got =
      engine::events(c, {since, until, {{"container", "6b85"}, {"type", "container"}}});
  REQUIRE(got.size() == 2);
  CHECK(got[1].raw == exec_line);
  const auto seen = fake.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] ==
        "GET /v1.41/events?since=1795424400.000000001&until=1795424700&filters="
        "%7B%22container%22%3A%5B%226b85%22%5D%2C%22type%22%3A%5B%22container%22%5D%7D");
  CHECK_THROWS_AS(engine::events(c, {until, since, {}}), error);
}

TEST_CASE("host files: listed from DockerRootDir and LogPath only when they are on this host") {
  forensic::testing::temp_dir root("forensic-engine-root");
  const std::string id(64, 'a');
  const auto dir = root.path / "containers" / id;
  std::filesystem::create_directories(dir);
  const std::string log = (dir / (id + "-json.log")).string();
  for (const std::string& name : std::vector<std::string>{
           "config.v2.json", "hostconfig.json", "hosts", id + "-json.log", id + "-json.log.2.gz",
           id + "-json.log.1", id + "-json.logx", id + "-json.log.tmp"}) {
    std::ofstream(dir / name) << "x";
  }
  std::string info_root = root.path.string();
  fake_engine fake([&](const std::string& head, const auto& send) {
    CHECK(head.starts_with("GET /v1.41/info "));
    send(http_response(200, nlohmann::json{{"DockerRootDir", info_root}}.dump()));
  });
  engine::client_options o;
  o.where = engine::endpoint::parse(fake.uri());
  o.where.api_version = "1.41";
  engine::client c(o);
  const std::string inspect = nlohmann::json{{"Id", id}, {"LogPath", log}}.dump();
  auto files = engine::list_container_host_files(c, id, inspect);
  REQUIRE(files.on_this_host);
  CHECK(files.root_dir == root.path.string());
  // Fixed files that exist, then the log and its numbered rotations, newest rotation first.
  CHECK(files.paths == std::vector<std::string>{
                           (dir / "config.v2.json").string(), (dir / "hostconfig.json").string(),
                           (dir / "hosts").string(), log, log + ".1", log + ".2.gz"});
  // The container's directory gone: removed, said so.
  files = engine::list_container_host_files(c, std::string(64, 'b'), inspect);
  CHECK_FALSE(files.on_this_host);
  CHECK(files.reason.find("removed") != std::string::npos);
  CHECK(files.paths.empty());
  // An engine whose root is not here: its files are elsewhere.
  info_root = (root.path / "elsewhere").string();
  files = engine::list_container_host_files(c, id, inspect);
  CHECK_FALSE(files.on_this_host);
  CHECK(files.reason.find("elsewhere") != std::string::npos);
}

TEST_CASE("host files: an engine over TCP has its files on its own host; nothing is asked") {
  engine::client_options o;
  o.where = engine::endpoint::parse("tcp://203.0.113.7:2375");  // never contacted
  engine::client c(o);
  const auto files = engine::list_container_host_files(c, std::string(64, 'a'), "{}");
  CHECK_FALSE(files.on_this_host);
  CHECK(files.reason.find("TCP") != std::string::npos);
  CHECK(files.paths.empty());
}

TEST_CASE("events: the live stream hands each event on as its line completes, across chunks") {
  fake_engine fake([](const std::string& head, const auto& send) {
    (void)head;
    const std::string both = create_line + "\n" + exec_line + "\n";
    std::string out =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    // Chunk boundaries inside a line, and two lines' ends in one chunk.
    out += forensic::testing::chunk(both.substr(0, 10));
    out += forensic::testing::chunk(both.substr(10, create_line.size()));
    out += forensic::testing::chunk(both.substr(10 + create_line.size()));
    out += "0\r\n\r\n";
    send(out);
  });
  engine::client_options o;
  o.where = engine::endpoint::parse(fake.uri());
  o.where.api_version = "1.41";
  engine::client c(o);
  std::vector<std::string> seen;
  engine::follow_events(c, {std::nullopt, std::nullopt, {{"type", "container"}}},
                        [&](const engine::event& e) { seen.push_back(e.raw); });
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == create_line);
  CHECK(seen[1] == exec_line);
  const auto requests = fake.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].find("until=") == std::string::npos);  // live: no end to the window
}
