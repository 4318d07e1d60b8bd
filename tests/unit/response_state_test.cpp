// The isolator's state file: its typed record, the exact file format earlier versions wrote,
// and files that are not records.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "forensic/error.hpp"
#include "response/state.hpp"
#include "support/scratch.hpp"

using namespace forensic;
using namespace forensic::response;
using namespace forensic::response::detail;

namespace {

const std::string id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

quarantine_state disconnected() {
  quarantine_state s;
  s.container_id = id;
  s.container_name = "web";
  s.case_id = "IR-7";
  s.mode = isolation_mode::disconnect;
  s.backend = "engine";
  s.host_veths = {"veth1a2b3c"};
  s.addresses = {"172.18.0.2"};
  s.allow = {"198.51.100.7"};
  s.since = "2026-12-02T08:00:00Z";
  s.networks = std::vector<detached_network>{
      {"irnet", "n1", "172.18.0.2", "", {"web", "0123456789ab"}, true}};
  return s;
}

}  // namespace

TEST_CASE("the state file keeps the format earlier versions wrote") {
  const std::string expected = R"({
  "addresses": [
    "172.18.0.2"
  ],
  "allow": [
    "198.51.100.7"
  ],
  "backend": "engine",
  "case": "IR-7",
  "container_id": ")" + id + R"(",
  "container_name": "web",
  "host_veths": [
    "veth1a2b3c"
  ],
  "mode": "disconnect",
  "networks": [
    {
      "aliases": [
        "web",
        "0123456789ab"
      ],
      "id": "n1",
      "ipv4": "172.18.0.2",
      "ipv6": "",
      "name": "irnet",
      "user_ipam": true
    }
  ],
  "schema": "forensic.quarantine/1",
  "since": "2026-12-02T08:00:00Z"
}
)";
  const forensic::testing::temp_dir dir("state");
  write_state(dir.path.string(), id, disconnected());
  CHECK(forensic::testing::slurp(dir.path / (id + ".json")) == expected);
}

TEST_CASE("a state round-trips through its JSON form") {
  auto s = disconnected();
  s.tc_clsact_added = std::vector<std::string>{"veth1a2b3c"};
  const auto back = quarantine_state_from_json(to_json(s));
  CHECK(back.container_id == s.container_id);
  CHECK(back.container_name == "web");
  CHECK(back.case_id == "IR-7");
  CHECK(back.mode == isolation_mode::disconnect);
  CHECK(back.backend == "engine");
  CHECK(back.host_veths == s.host_veths);
  CHECK(back.addresses == s.addresses);
  CHECK(back.allow == s.allow);
  CHECK(back.since == s.since);
  REQUIRE(back.networks);
  REQUIRE(back.networks->size() == 1);
  CHECK(back.networks->at(0).aliases == s.networks->at(0).aliases);
  CHECK(back.networks->at(0).user_ipam);
  CHECK(back.tc_clsact_added == s.tc_clsact_added);
  CHECK(to_json(back) == to_json(s));

  quarantine_state paused;
  paused.container_id = id;
  paused.mode = isolation_mode::pause;
  const auto doc = to_json(paused);
  CHECK_FALSE(doc.contains("networks"));  // only a disconnect records networks
  CHECK_FALSE(doc.contains("tc_clsact_added"));
  CHECK_FALSE(quarantine_state_from_json(doc).networks);
}

TEST_CASE("the containers sharing its namespace and a fallback's reason are recorded") {
  auto s = disconnected();
  s.mode = isolation_mode::pause;
  s.networks.reset();
  s.sharing_namespace = {{id, "sidecar"}};
  s.fallback_reason = "network mv uses the macvlan driver";
  const auto doc = to_json(s);
  CHECK(doc["sharing_namespace"][0]["container_name"] == "sidecar");
  const auto back = quarantine_state_from_json(doc);
  REQUIRE(back.sharing_namespace.size() == 1);
  CHECK(back.sharing_namespace[0].container_id == id);
  CHECK(back.sharing_namespace[0].container_name == "sidecar");
  CHECK(back.fallback_reason == s.fallback_reason);
  CHECK(to_json(back) == doc);
}

TEST_CASE("missing keys take their defaults") {
  const auto s = quarantine_state_from_json(nlohmann::json{{"container_id", id}});
  CHECK(s.mode == isolation_mode::network);
  CHECK(s.backend.empty());
  CHECK(s.host_veths.empty());
  CHECK_FALSE(s.networks);
}

TEST_CASE("a corrupt or hostile state file is no record, and never half a record") {
  using nlohmann::json;
  const auto parse_error = [](const json& doc) {
    try {
      quarantine_state_from_json(doc);
    } catch (const error& e) {
      return e.kind() == errc::parse ? std::string(e.what()) : std::string("wrong kind");
    }
    return std::string("accepted");
  };
  CHECK(parse_error(json::array()).find("not a JSON object") != std::string::npos);
  CHECK(parse_error(json{{"container_id", 5}}).find("\"container_id\"") != std::string::npos);
  CHECK(parse_error(json{{"mode", "explode"}}).find("explode") != std::string::npos);
  CHECK(parse_error(json{{"host_veths", {"a", 1}}}).find("host_veths") != std::string::npos);
  CHECK(parse_error(json{{"networks", {{{"id", "n1"}, {"aliases", "web"}}}}}).find("aliases") !=
        std::string::npos);
  CHECK(parse_error(json{{"networks", json::object()}}).find("networks") != std::string::npos);
  CHECK(parse_error(json{{"tc_clsact_added", true}}).find("tc_clsact_added") != std::string::npos);

  const forensic::testing::temp_dir dir("state");
  const std::string good = std::string(64, 'a'), typed = std::string(64, 'b'),
                    garbage = std::string(64, 'c');
  write_state(dir.path.string(), good, disconnected());
  std::ofstream(dir.path / (typed + ".json")) << R"({"container_id": 5, "mode": "pause"})";
  std::ofstream(dir.path / (garbage + ".json")) << "\x01{not json";
  CHECK(read_state(dir.path.string(), good));
  CHECK_FALSE(read_state(dir.path.string(), typed));
  CHECK_FALSE(read_state(dir.path.string(), garbage));
  CHECK_FALSE(read_state(dir.path.string(), std::string(64, 'd')));  // absent
  const auto all = all_states(dir.path.string());
  REQUIRE(all.size() == 1);
  CHECK(all[0].container_id == id);
}
