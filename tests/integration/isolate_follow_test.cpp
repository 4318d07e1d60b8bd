// ir-isolate on the real engine, for what a quarantine must survive and must not claim:
// release restores both firewall tables exactly; one case per quarantine; containers sharing
// the namespace are named; macvlan and --network host fall back to a pause (or are refused);
// the supervisor (--follow) keeps the quarantine on the container across stop/start, restart,
// a new address and `docker network connect`, and never on the next holder of its old address.
#include <doctest/doctest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/testbed.hpp"

using namespace forensic::testing;

namespace {

std::string id12_of(const testbed& tb, const std::string& container) {
  return trim(tb.docker({"inspect", "-f", "{{.Id}}", container})).substr(0, 12);
}

std::string status_of(const testbed& tb, const std::string& container) {
  return trim(tb.docker({"inspect", "-f", "{{.State.Status}}", container}));
}

// Both families, every table, as iptables-save prints them, without counters or dates.
std::string firewall_tables() {
  return run({"sh", "-c",
              "{ iptables-save; echo ---; ip6tables-save; } 2>/dev/null | grep -v '^#' | "
              "sed 's/\\[[0-9]*:[0-9]*\\]//'"})
      .out;
}

// The --list entry of a container, or null.
nlohmann::json listed(const std::string& state, const std::string& id12) {
  auto r = run_tool("ir-isolate", {"--list", "--json", "--state-dir", state});
  if (r.exit_code != 0) return nullptr;
  const auto doc = nlohmann::json::parse(r.out);
  for (const auto& q : doc["quarantined"]) {
    if (q["container_id"].get<std::string>().starts_with(id12)) return q;
  }
  return nullptr;
}

std::string listed_status(const std::string& state, const std::string& id12) {
  auto q = listed(state, id12);
  return q.is_null() ? "(not listed)" : q["status"].get<std::string>();
}

// Releases what the test isolated and removes the state directory, whatever happened.
struct release_all {
  std::vector<std::string> containers;
  std::string state;
  ~release_all() {
    for (const auto& c : containers) run_tool("ir-isolate", {c, "--release", "--state-dir", state});
    sh("rm -rf '" + state + "'");
  }
};

bool mentions(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

bool root_and_engine() { return engine_available() && ::geteuid() == 0; }

}  // namespace

TEST_CASE("ir-isolate names namespace sharers, refuses a second case, restores both tables") {
  REQUIRE_MESSAGE(!(!root_and_engine()), "needs root and a Docker engine");
  testbed tb;
  const std::string net = tb.network("iss", {"--internal"});
  const std::string b = tb.container("b", {"--network", net});
  const std::string j = tb.container("j", {"--network", "container:" + b});
  const std::string state = "/tmp/" + tb.prefix() + "-quarantine";
  release_all cleanup{{b, j}, state};
  const std::string before = firewall_tables();

  auto dry = run_tool("ir-isolate", {b, "--case", "IR-1", "--dry-run", "--state-dir", state});
  CHECK(dry.exit_code == 0);
  CHECK(mentions(dry.out, "shares its network namespace (cut off with it): " + j));
  CHECK(firewall_tables() == before);

  auto r = run_tool("ir-isolate", {b, "--case", "IR-1", "--json", "--state-dir", state});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = nlohmann::json::parse(r.out);
  REQUIRE(doc["result"]["sharing_namespace"].size() == 1);
  CHECK(doc["result"]["sharing_namespace"][0]["container_name"] == j);
  auto record = listed(state, id12_of(tb, b));
  REQUIRE_FALSE(record.is_null());
  CHECK(record["sharing_namespace"][0]["container_name"] == j);
  CHECK(record["status"] == "enforced");

  const std::string rules = firewall_tables();
  auto second = run_tool("ir-isolate", {b, "--case", "IR-2", "--state-dir", state});
  CHECK(second.exit_code == 12);
  CHECK(mentions(second.err, "already quarantined under case IR-1"));
  CHECK(firewall_tables() == rules);
  CHECK(listed(state, id12_of(tb, b))["case"] == "IR-1");

  // The joiner is isolated through the namespace it joined, and the owner is named.
  auto joiner = run_tool("ir-isolate", {j, "--case", "IR-1", "--dry-run", "--state-dir", state});
  CHECK(joiner.exit_code == 0);
  CHECK(mentions(joiner.out, "shares its network namespace (cut off with it): " + b));

  auto rel = run_tool("ir-isolate", {b, "--release", "--state-dir", state});
  CHECK(rel.exit_code == 0);
  CHECK(firewall_tables() == before);
}

namespace {

// A parent link for macvlan made by the test: a dummy where the kernel has one, else one end
// of a veth pair (CI kernels without CONFIG_DUMMY). Nothing is routed through it.
struct parent_link {
  std::string name;
  explicit parent_link(std::string n) : name(std::move(n)) {
    if (sh("ip link add " + name + " type dummy 2>/dev/null").exit_code != 0) {
      sh("ip link add " + name + " type veth peer name " + name + "p && ip link set " + name +
         "p up");
    }
    sh("ip link set " + name + " up");
  }
  ~parent_link() { sh("ip link del " + name + " 2>/dev/null"); }
};

}  // namespace

TEST_CASE("ir-isolate never claims a network quarantine the firewall cannot see") {
  REQUIRE_MESSAGE(!(!root_and_engine()), "needs root and a Docker engine");
  testbed tb;
  const parent_link parent(tb.prefix() + "m");
  const std::string mv = tb.network("mv", {"-d", "macvlan", "-o", "parent=" + parent.name,
                                           "--internal", "--subnet", "192.0.2.0/24"});
  const std::string m1 = tb.container("m1", {"--network", mv});
  const std::string m2 = tb.container("m2", {"--network", mv});
  const std::string h = tb.container("h", {"--network", "host"});
  const std::string state = "/tmp/" + tb.prefix() + "-quarantine";
  release_all cleanup{{m1, h}, state};
  const std::string ip1 = address_of(tb, m1);
  REQUIRE(can_ping(tb, m2, ip1));

  auto refused = run_tool("ir-isolate", {m1, "--no-fallback", "--state-dir", state});
  CHECK(refused.exit_code == 11);
  CHECK(mentions(refused.err, "macvlan"));
  CHECK(status_of(tb, m1) == "running");

  auto r = run_tool("ir-isolate", {m1, "--case", "MV-1", "--state-dir", state});
  INFO(r.out, r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(mentions(r.out, "mode pause"));
  CHECK(mentions(r.out, "fallback: paused"));
  CHECK(mentions(r.out, "macvlan"));
  CHECK_FALSE(mentions(r.out, "DOCKER-USER"));
  // Paused: none of its processes runs (its kernel still answers a ping: docs/isolation.md).
  CHECK(status_of(tb, m1) == "paused");
  auto record = listed(state, id12_of(tb, m1));
  REQUIRE_FALSE(record.is_null());
  CHECK(record["mode"] == "pause");
  CHECK(mentions(record["fallback_reason"].get<std::string>(), "macvlan"));
  CHECK(run_tool("ir-isolate", {m1, "--release", "--state-dir", state}).exit_code == 0);
  CHECK(status_of(tb, m1) == "running");
  CHECK(can_ping(tb, m2, ip1));

  auto host = run_tool("ir-isolate", {h, "--no-fallback", "--state-dir", state});
  CHECK(host.exit_code == 11);
  CHECK(mentions(host.err, "--network host"));
  auto hp = run_tool("ir-isolate", {h, "--state-dir", state});
  CHECK(hp.exit_code == 0);
  CHECK(mentions(hp.out, "mode pause"));
  CHECK(status_of(tb, h) == "paused");
  CHECK(run_tool("ir-isolate", {h, "--release", "--state-dir", state}).exit_code == 0);
  CHECK(status_of(tb, h) == "running");
}

TEST_CASE("ir-isolate --follow keeps the quarantine on the container, not on its old address") {
  REQUIRE_MESSAGE(!(!root_and_engine()), "needs root and a Docker engine");
  testbed tb;
  const std::string net = tb.network("isf", {"--internal", "--subnet", "10.213.77.0/24"});
  const std::string net2 = tb.network("isg", {"--internal"});
  const std::string a = tb.container("a", {"--network", net});
  const std::string b = tb.container("b", {"--network", net});
  const std::string state = "/tmp/" + tb.prefix() + "-quarantine";
  release_all cleanup{{b}, state};
  const std::string id12 = id12_of(tb, b);
  const std::string old_ip = address_of(tb, b);

  REQUIRE(run_tool("ir-isolate", {b, "--case", "F-1", "--state-dir", state}).exit_code == 0);
  CHECK_FALSE(can_ping(tb, a, old_ip));

  // Without the supervisor the rules stay on the old address, and --list says so.
  tb.docker({"stop", "-t", "0", b});
  auto stale = listed(state, id12);
  REQUIRE_FALSE(stale.is_null());
  CHECK(stale["status"] == "stale");
  CHECK(stale["in_force"] == true);
  CHECK(stale["matches_container"] == false);
  CHECK(mentions(stale["stale"].dump(), old_ip));

  const background_process supervisor({tool("ir-isolate"), "--follow", "--state-dir", state});
  wait_for([&] { return listed_status(state, id12) == "waiting"; }, "rules removed at start-up");

  // An innocent container takes the old address: it is not blocked.
  const std::string innocent = tb.container("i", {"--network", net, "--ip", old_ip});
  CHECK(can_ping(tb, a, old_ip));

  // The suspect comes back elsewhere: the quarantine follows it.
  tb.docker({"start", b});
  wait_for([&] { return listed_status(state, id12) == "enforced"; }, "re-applied on start");
  const std::string new_ip = address_of(tb, b);
  CHECK(new_ip != old_ip);
  CHECK_FALSE(can_ping(tb, a, new_ip));
  CHECK_FALSE(can_ping(tb, b, address_of(tb, a)));
  CHECK(can_ping(tb, a, old_ip));

  const auto veths = listed(state, id12)["current_veths"];
  tb.docker({"restart", "-t", "0", b});
  wait_for(
      [&] {
        auto q = listed(state, id12);
        return !q.is_null() && q["status"] == "enforced" && q["current_veths"] != veths;
      },
      "re-applied on restart, on the new veth");
  CHECK_FALSE(can_ping(tb, a, address_of(tb, b)));

  tb.docker({"network", "connect", net2, b});
  wait_for(
      [&] {
        auto q = listed(state, id12);
        return !q.is_null() && q["status"] == "enforced" && q["current_addresses"].size() == 2;
      },
      "re-applied after docker network connect");
  CHECK(listed(state, id12)["matches_container"] == true);
}
