// ir-ps against the real engine: its JSON must agree with `docker inspect` for containers on
// the default bridge, on an internal network with a custom bridge name, on two networks, on the
// host network, and stopped.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "forensic/engine/client.hpp"
#include "forensic/engine/containers.hpp"
#include "support/testbed.hpp"

using namespace forensic;
using namespace forensic::testing;
using nlohmann::json;

namespace {

json ps_json(const testbed& bed) {
  auto r = run_tool("ir-ps", {"--json", "--all", "--filter", "label=" + bed.label()});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return json::parse(r.out);
}

const json* find_by_name(const json& doc, const std::string& name) {
  for (const auto& c : doc["containers"]) {
    if (c["name"] == name) return &c;
  }
  return nullptr;
}

void check_agrees_with_inspect(const json& ours, const json& theirs) {
  CHECK(ours["id"] == theirs["Id"]);
  CHECK("/" + ours["name"].get<std::string>() == theirs["Name"]);
  CHECK(ours["image_id"] == theirs["Image"]);
  CHECK(ours["state"] == theirs["State"]["Status"]);
  CHECK(ours["pid"] == theirs["State"]["Pid"]);
  CHECK(ours["started_at"] == theirs["State"]["StartedAt"]);
  CHECK(ours["security"]["network_mode"] == theirs["HostConfig"]["NetworkMode"]);
  CHECK(ours["security"]["pid_mode"] == theirs["HostConfig"]["PidMode"]);
  const json& nets = theirs["NetworkSettings"]["Networks"];
  CHECK(ours["networks"].size() == nets.size());
  for (const auto& n : ours["networks"]) {
    const std::string name = n["name"];
    REQUIRE_MESSAGE(nets.contains(name), name);
    CHECK(n["network_id"] == nets[name]["NetworkID"]);
    CHECK(n["ipv4"] == nets[name]["IPAddress"]);
    CHECK(n["ipv4_prefix"] == nets[name]["IPPrefixLen"]);
    CHECK(n["mac"] == nets[name]["MacAddress"]);
    CHECK(n["gateway"] == nets[name]["Gateway"]);
  }
}

}  // namespace

TEST_CASE("ir-ps --json --all agrees with docker inspect") {
  REQUIRE(engine_available());
  testbed bed;
  const std::string bridge_name = bed.prefix().substr(0, 9) + "-br";  // <= 15 bytes
  auto internal = bed.network(
      "internal", {"--internal", "-o", "com.docker.network.bridge.name=" + bridge_name});
  auto second = bed.network("second", {"--internal"});
  auto on_default = bed.container("default", {});
  auto on_internal = bed.container("internal", {"--network", internal});
  auto on_two = bed.container("two", {"--network", internal});
  bed.docker({"network", "connect", second, on_two});
  auto on_host = bed.container("host", {"--network", "host"});
  auto stopped = bed.container("stopped", {}, {"true"});
  bed.docker({"wait", stopped});

  json doc = ps_json(bed);
  CHECK(doc["schema"] == "forensic.ps/1");
  CHECK(doc["containers"].size() == 5);
  for (const auto& name : {on_default, on_internal, on_two, on_host, stopped}) {
    CAPTURE(name);
    const json* ours = find_by_name(doc, name);
    REQUIRE(ours);
    json theirs = json::parse(bed.inspect(name))[0];
    check_agrees_with_inspect(*ours, theirs);
  }
  CHECK((*find_by_name(doc, on_two))["networks"].size() == 2);
  CHECK((*find_by_name(doc, on_host))["networks"][0]["name"] == "host");
  auto host_flags = (*find_by_name(doc, on_host))["risk_flags"];
  CHECK(std::find(host_flags.begin(), host_flags.end(), "HOST-NET") != host_flags.end());
  CHECK((*find_by_name(doc, stopped))["state"] == "exited");
  CHECK((*find_by_name(doc, stopped))["pid"] == 0);

  {  // without --all only running containers are listed
    auto r = run_tool("ir-ps", {"--json", "--filter", "label=" + bed.label()});
    REQUIRE(r.exit_code == 0);
    CHECK(json::parse(r.out)["containers"].size() == 4);
  }
  {  // filters by name and by network
    auto r = run_tool("ir-ps", {"--json", "--all", "--filter", "network=" + second});
    REQUIRE(r.exit_code == 0);
    auto only = json::parse(r.out)["containers"];
    REQUIRE(only.size() == 1);
    CHECK(only[0]["name"] == on_two);
  }
  {  // the table names every container on one line each
    auto r = run_tool("ir-ps", {"--all", "--filter", "label=" + bed.label()});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("NETWORKS") != std::string::npos);
    for (const auto& name : {on_default, on_internal, on_two, on_host, stopped}) {
      CHECK(r.out.find(name) != std::string::npos);
    }
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 6);
  }
  {  // read from the engine's state files, and the same answer as one inspect per container
    int from_state = 0;
    for (const auto& c : doc["containers"]) {
      CHECK((c["details_from"] == "state_files" || c["details_from"] == "inspect"));
      from_state += c["details_from"] == "state_files" ? 1 : 0;
    }
    // One container of the host is inspected to prove where the engine keeps its files.
    CHECK(from_state >= 4);
    auto r = run_tool("ir-ps",
                      {"--json", "--all", "--no-state-files", "--filter", "label=" + bed.label()});
    REQUIRE(r.exit_code == 0);
    json inspected = json::parse(r.out);
    REQUIRE(inspected["containers"].size() == doc["containers"].size());
    for (std::size_t i = 0; i < doc["containers"].size(); ++i) {
      json a = doc["containers"][i];
      json b = inspected["containers"][i];
      CAPTURE(a["name"]);
      CHECK(b["details_from"] == "inspect");
      for (auto* c : {&a, &b}) {
        c->erase("details_from");
        c->erase("status");  // "Up 2 seconds"
      }
      CHECK(a == b);
    }
  }
}

TEST_CASE("ir-ps: a state file that disagrees with the engine is not believed") {
  REQUIRE(engine_available());
  testbed bed;
  auto honest = bed.container("honest", {});
  auto honest2 = bed.container("honest2", {});
  auto forged = bed.container("forged", {});
  const json theirs = json::parse(bed.inspect(forged))[0];
  const std::string id = theirs["Id"];
  // What dockerd wrote for the container, rewritten the way dockerd writes it (whole, renamed
  // into place): another name, and the host's init as its pid.
  const std::filesystem::path file = "/var/lib/docker/containers/" + id + "/config.v2.json";
  REQUIRE(std::filesystem::exists(file));
  json record;
  {
    std::ifstream in(file);
    record = json::parse(in);
  }
  record["Name"] = "/not-" + forged;
  record["State"]["Pid"] = 1;
  {
    std::ofstream out(file.string() + ".forged");
    out << record.dump();
  }
  std::filesystem::rename(file.string() + ".forged", file);

  const json doc = ps_json(bed);
  REQUIRE(doc["containers"].size() == 3);
  const json* ours = find_by_name(doc, forged);
  REQUIRE(ours);
  CHECK((*ours)["details_from"] == "inspect");
  CHECK((*ours)["pid"] == theirs["State"]["Pid"]);
  CHECK((*ours)["pid"] != 1);
  CHECK(find_by_name(doc, "not-" + forged) == nullptr);
  // The others are read from their files (but for the one inspect that proves where they are).
  const json* first = find_by_name(doc, honest);
  const json* second = find_by_name(doc, honest2);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(((*first)["details_from"] == "state_files" || (*second)["details_from"] == "state_files"));
}

TEST_CASE("an unreachable engine gives one clear line and exit 3") {
  auto r = run_tool("ir-ps", {"--host", "unix:///nonexistent.sock"});
  CHECK(r.exit_code == 3);
  CHECK(r.out.empty());
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.err.find("unix:///nonexistent.sock") != std::string::npos);
  CHECK(r.err.find("dockerd") != std::string::npos);
}

TEST_CASE("bad options give a usage error") {
  CHECK(run_tool("ir-ps", {"--filter", "bogus"}).exit_code == 2);
  CHECK(run_tool("ir-ps", {"--no-such-option"}).exit_code == 2);
  CHECK(run_tool("ir-ps", {"--host", "ftp://x"}).exit_code == 2);
  auto help = run_tool("ir-ps", {"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("EXIT STATUS") != std::string::npos);
}

TEST_CASE("container references resolve the docker way, and unknown ones are named") {
  REQUIRE(engine_available());
  testbed bed;
  auto name = bed.container("ref", {"--network", "none"});
  std::string id = json::parse(bed.inspect(name))[0]["Id"];
  engine::client engine;
  CHECK(engine::resolve_container_id(engine, name) == id);
  CHECK(engine::resolve_container_id(engine, "/" + name) == id);
  CHECK(engine::resolve_container_id(engine, id) == id);
  CHECK(engine::resolve_container_id(engine, id.substr(0, 10)) == id);
  CHECK(engine::inspect_container(engine, name).pid > 0);
  try {
    engine::resolve_container_id(engine, "no-such-container-" + bed.prefix());
    FAIL("resolved an unknown container");
  } catch (const error& e) {
    CHECK(e.kind() == errc::not_found);
    CHECK(std::string(e.what()).find("no-such-container-" + bed.prefix()) != std::string::npos);
  }
}
