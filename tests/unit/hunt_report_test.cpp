// The forensic.hunt/1 document (docs/json-hunt.md) and the part of it about one container that
// the collector's hunt artifact keeps.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "forensic/hunt/hunt.hpp"

using namespace forensic;

namespace {

hunt::hunt_finding make(std::string kind, std::string container, std::vector<std::string> bridges) {
  hunt::hunt_finding f;
  f.kind = std::move(kind);
  f.severity = "high";
  f.summary = "s";
  f.container_id = std::move(container);
  f.bridges = std::move(bridges);
  return f;
}

}  // namespace

TEST_CASE("hunt report: about one container keeps its findings and those on its bridges") {
  hunt::hunt_report r;
  r.hunted_at = "2026-12-02T14:00:00.000000Z";
  r.engine = "unix:///var/run/docker.sock";
  r.findings = {make("entered_from_outside", "aaa", {}), make("nested_pid_namespace", "bbb", {}),
                make("unowned_namespace", "", {"br-0123456789ab"}),
                make("unowned_namespace", "", {"docker0"}), make("unowned_namespace", "", {})};
  hunt::network_namespace mine;
  mine.inode = 4026532001;
  mine.containers = {"aaa"};
  net::container_interface eth0;
  eth0.inside.name = "eth0";
  eth0.bridge = "br-0123456789ab";
  mine.interfaces = {eth0};
  hunt::network_namespace other;
  other.inode = 4026532002;
  other.containers = {"bbb"};
  r.network_namespaces = {mine, other};
  hunt::process_group g;
  g.container_id = "aaa";
  g.pids = {10, 11};
  g.comms = {"sh", "sleep"};
  r.groups = {g, hunt::process_group{}};

  const auto about = hunt::about_container(r, "aaa");
  REQUIRE(about.findings.size() == 2);
  CHECK(about.findings[0].kind == "entered_from_outside");
  CHECK(about.findings[1].bridges == std::vector<std::string>{"br-0123456789ab"});
  REQUIRE(about.network_namespaces.size() == 1);
  CHECK(about.network_namespaces[0].inode == 4026532001);
  CHECK(about.groups.size() == 1);

  const auto j = hunt::to_json(about);
  CHECK(j["schema"] == "forensic.hunt/1");
  CHECK(j["hunted_at"] == r.hunted_at);
  CHECK(j["findings"][0]["namespace"].is_null());
  CHECK(j["groups"][0]["pids"] == nlohmann::json{10, 11});
  CHECK(j["groups"][0]["namespaces"].contains("cgroup"));
  CHECK(j["network_namespaces"][0]["interfaces"][0]["bridge"] == "br-0123456789ab");
  for (const char* key :
       {"engine", "host_namespaces", "process_count", "container_count", "warnings"}) {
    CHECK(j.contains(key));
  }
  auto ns = make("unowned_namespace", "", {});
  ns.namespace_kind = "net";
  ns.namespace_inode = 4026532003;
  CHECK(hunt::to_json(ns)["namespace"] == nlohmann::json{{"kind", "net"}, {"inode", 4026532003}});
}
