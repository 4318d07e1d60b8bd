// ir-isolate against the real engine and the host firewall, on an --internal network: the
// isolated container can neither reach nor be reached, its neighbours still talk, release
// restores it and leaves no rule of ours behind.
#include <doctest/doctest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/testbed.hpp"

using namespace forensic::testing;

namespace {

// Every rule carrying the tag of `id12`, in both families.
std::string our_rules(const std::string& id12) {
  return run({"sh", "-c",
              "{ iptables-save -t filter; ip6tables-save -t filter; } 2>/dev/null | grep -F "
              "'forensic-quarantine:" +
                  id12 + "' || true"})
      .out;
}

// Releases the container and deletes any tagged rule left, whatever the test did.
struct quarantine_cleanup {
  std::string container, id12, state_dir;
  ~quarantine_cleanup() {
    run_tool("ir-isolate", {container, "--release", "--state-dir", state_dir});
    for (const char* save : {"iptables", "ip6tables"}) {
      sh(std::string(save) + "-save -t filter 2>/dev/null | grep -F 'forensic-quarantine:" + id12 +
         "' | sed 's/^-A/-D/' | sed '1i *filter' | sed '$a COMMIT' | " + save +
         "-restore --noflush -w 2>/dev/null");
    }
    sh("rm -rf '" + state_dir + "'");
  }
};

std::string state_dir_for(const testbed& tb) { return "/tmp/" + tb.prefix() + "-quarantine"; }

}  // namespace

TEST_CASE("ir-isolate network mode cuts one container off an internal network and lets it go") {
  REQUIRE_MESSAGE(!(!engine_available() || ::geteuid() != 0), "needs root and a Docker engine");
  testbed tb;
  const std::string net = tb.network("iso", {"--internal"});
  const std::string a = tb.container("a", {"--network", net});
  const std::string b = tb.container("b", {"--network", net});
  const std::string c = tb.container("c", {"--network", net});
  const std::string ip_a = address_of(tb, a), ip_b = address_of(tb, b), ip_c = address_of(tb, c);
  const std::string id12 = trim(tb.docker({"inspect", "-f", "{{.Id}}", b})).substr(0, 12);
  const std::string state = state_dir_for(tb);
  quarantine_cleanup cleanup{b, id12, state};

  REQUIRE(can_ping(tb, a, ip_b));

  SUBCASE("dry run prints the rules and changes nothing") {
    auto r = run_tool("ir-isolate", {b, "--case", "IT-1", "--dry-run", "--state-dir", state});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("-I DOCKER-USER 1 -m physdev --physdev-in veth") != std::string::npos);
    CHECK(r.out.find("forensic-quarantine:" + id12 + ":IT-1") != std::string::npos);
    CHECK(our_rules(id12).empty());
    CHECK(can_ping(tb, a, ip_b));
  }

  SUBCASE("isolate, idempotently; list; release") {
    auto r = run_tool("ir-isolate", {b, "--case", "IT-1", "--state-dir", state});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const std::string rules = our_rules(id12);
    CHECK(rules.find("DOCKER-USER") != std::string::npos);
    CHECK_FALSE(can_ping(tb, a, ip_b));  // cannot be reached
    CHECK_FALSE(can_ping(tb, b, ip_a));  // cannot reach
    CHECK(can_ping(tb, a, ip_c));        // the neighbours are untouched

    auto again = run_tool("ir-isolate", {b, "--case", "IT-1", "--state-dir", state});
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("already isolated") != std::string::npos);
    CHECK(our_rules(id12) == rules);

    auto list = run_tool("ir-isolate", {"--list", "--json", "--state-dir", state});
    REQUIRE(list.exit_code == 0);
    auto doc = nlohmann::json::parse(list.out);
    bool listed = false;
    for (const auto& q : doc["quarantined"]) {
      if (q["container_id"].get<std::string>().starts_with(id12)) {
        listed = true;
        CHECK(q["case"] == "IT-1");
        CHECK(q["mode"] == "network");
        CHECK(q["container_name"] == b);
      }
    }
    CHECK(listed);

    auto rel = run_tool("ir-isolate", {b, "--release", "--state-dir", state});
    INFO(rel.err);
    CHECK(rel.exit_code == 0);
    CHECK(our_rules(id12).empty());
    CHECK(can_ping(tb, a, ip_b));
    CHECK(can_ping(tb, b, ip_a));
  }

  SUBCASE("a container removed while quarantined is released by its id") {
    REQUIRE(run_tool("ir-isolate", {b, "--state-dir", state}).exit_code == 0);
    REQUIRE_FALSE(our_rules(id12).empty());
    tb.docker({"rm", "-f", b});
    auto rel = run_tool("ir-isolate", {id12, "--release", "--state-dir", state});
    INFO(rel.err);
    CHECK(rel.exit_code == 0);
    CHECK(our_rules(id12).empty());
  }

  SUBCASE("--allow keeps one path open") {
    auto r = run_tool("ir-isolate", {b, "--allow", ip_c, "--state-dir", state});
    REQUIRE(r.exit_code == 0);
    CHECK(can_ping(tb, c, ip_b));
    CHECK_FALSE(can_ping(tb, a, ip_b));
  }
}

TEST_CASE("ir-isolate pause and disconnect go through the engine and are undone on release") {
  REQUIRE_MESSAGE(!(!engine_available() || ::geteuid() != 0), "needs root and a Docker engine");
  testbed tb;
  const std::string net = tb.network("isp", {"--internal"});
  const std::string a = tb.container("a", {"--network", net});
  const std::string b = tb.container("b", {"--network", net});
  const std::string ip_b = address_of(tb, b);
  const std::string id12 = trim(tb.docker({"inspect", "-f", "{{.Id}}", b})).substr(0, 12);
  const std::string state = state_dir_for(tb);
  quarantine_cleanup cleanup{b, id12, state};

  auto p = run_tool("ir-isolate", {b, "--mode", "pause", "--state-dir", state});
  REQUIRE(p.exit_code == 0);
  CHECK(trim(tb.docker({"inspect", "-f", "{{.State.Status}}", b})) == "paused");
  CHECK(run_tool("ir-isolate", {b, "--release", "--state-dir", state}).exit_code == 0);
  CHECK(trim(tb.docker({"inspect", "-f", "{{.State.Status}}", b})) == "running");

  auto d = run_tool("ir-isolate", {b, "--mode", "disconnect", "--state-dir", state});
  REQUIRE(d.exit_code == 0);
  CHECK(address_of(tb, b).empty());
  CHECK(run_tool("ir-isolate", {b, "--release", "--state-dir", state}).exit_code == 0);
  CHECK(address_of(tb, b) == ip_b);
  CHECK(can_ping(tb, a, ip_b));
}

TEST_CASE("ir-isolate refuses a bad case id and an unknown container") {
  CHECK(run_tool("ir-isolate", {"x", "--case", "bad case"}).exit_code != 0);
  if (!engine_available()) return;
  CHECK(run_tool("ir-isolate", {"no-such-container-irt"}).exit_code == 5);
}
