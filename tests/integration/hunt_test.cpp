// ir-hunt against the real kernel and engine: a workload started outside the engine (unshare
// with its own pid and network namespaces), a network namespace held only by a bind mount with
// a veth on a Docker bridge, and a pid namespace nested inside a container are each reported;
// a plain container is not.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/engine_proxy.hpp"
#include "support/scratch.hpp"
#include "support/testbed.hpp"

using namespace forensic::testing;
using nlohmann::json;

namespace {

json hunt_json(const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = run_tool("ir-hunt", args);
  INFO(r.err);
  REQUIRE((r.exit_code == 0 || r.exit_code == 1));
  return json::parse(r.out);
}

std::string status_of(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The first child of `parent` (unshare --fork's workload).
int child_of(int parent) {
  int found = 0;
  wait_for(
      [&] {
        auto r = sh("cat /proc/" + std::to_string(parent) + "/task/*/children 2>/dev/null");
        std::istringstream in(r.out);
        return static_cast<bool>(in >> found);
      },
      "unshare's child", 10);
  return found;
}

const json* finding(const json& doc, const std::string& kind, const std::string& ns_kind, int pid) {
  for (const auto& f : doc["findings"]) {
    if (f["kind"] != kind) continue;
    if (!ns_kind.empty() && (f["namespace"].is_null() || f["namespace"]["kind"] != ns_kind)) {
      continue;
    }
    for (const auto& p : f["pids"]) {
      if (p == pid) return &f;
    }
  }
  return nullptr;
}

struct mounted_netns {
  std::string name;
  explicit mounted_netns(std::string n) : name(std::move(n)) {
    REQUIRE(run({"ip", "netns", "add", name}).exit_code == 0);
  }
  ~mounted_netns() { run({"ip", "netns", "del", name}); }
  mounted_netns(const mounted_netns&) = delete;
  mounted_netns& operator=(const mounted_netns&) = delete;
};

}  // namespace

TEST_CASE("ir-hunt reports a workload started outside the engine in its own namespaces") {
  REQUIRE(engine_available());
  background_process outside(
      {"unshare", "--fork", "--kill-child", "--pid", "--net", "--mount-proc", "sleep", "300"});
  const int workload = child_of(outside.pid());
  // The workload is pid 1 of its own namespace: NSpid has two levels.
  wait_for(
      [&] {
        return status_of(workload).find("NSpid:\t" + std::to_string(workload) + "\t1") !=
               std::string::npos;
      },
      "the workload in its pid namespace", 10);
  const json doc = hunt_json();
  CHECK(doc["schema"] == "forensic.hunt/1");
  const json* pid_ns = finding(doc, "unowned_namespace", "pid", workload);
  REQUIRE(pid_ns != nullptr);
  CHECK((*pid_ns)["severity"] == "high");
  CHECK((*pid_ns)["container_id"] == "");
  const json* net_ns = finding(doc, "unowned_namespace", "net", workload);
  REQUIRE(net_ns != nullptr);
  // unshare itself moved into the new network namespace before forking.
  bool holds_unshare = false;
  for (const auto& p : (*net_ns)["pids"]) holds_unshare |= p == outside.pid();
  CHECK(holds_unshare);
  // Grouped: the workload's group has its own pid and net namespace, not the host's.
  bool grouped = false;
  for (const auto& g : doc["groups"]) {
    for (const auto& p : g["pids"]) {
      if (p != workload) continue;
      grouped = true;
      CHECK(g["namespaces"]["pid"] == (*pid_ns)["namespace"]["inode"]);
      CHECK(g["namespaces"]["pid"] != doc["host_namespaces"]["pid"]);
      CHECK(g["container_id"] == "");
    }
  }
  CHECK(grouped);
}

TEST_CASE("ir-hunt reports a mounted network namespace with a veth on a Docker bridge") {
  REQUIRE(engine_available());
  testbed bed;
  const std::string bridge = bed.prefix().substr(0, 9) + "-hb";  // <= 15 bytes
  bed.network("hunt", {"--internal", "-o", "com.docker.network.bridge.name=" + bridge});
  mounted_netns ns(bed.prefix() + "-hunt");
  const std::string host_end = bed.prefix().substr(0, 9) + "-hv";
  REQUIRE(sh("ip link add " + host_end + " type veth peer name " + host_end + "p && ip link set " +
             host_end + "p netns " + ns.name + " && ip link set " + host_end + " master " + bridge +
             " up")
              .exit_code == 0);
  const json doc = hunt_json();
  const json* found = nullptr;
  for (const auto& f : doc["findings"]) {
    if (f["kind"] != "unowned_namespace" || f["namespace"].is_null()) continue;
    for (const auto& fact : f["facts"]) {
      if (fact.get<std::string>().find("/run/netns/" + ns.name) != std::string::npos) found = &f;
    }
  }
  REQUIRE(found != nullptr);
  CHECK((*found)["namespace"]["kind"] == "net");
  CHECK((*found)["severity"] == "high");
  CHECK((*found)["pids"].empty());
  REQUIRE((*found)["bridges"].size() == 1);
  CHECK((*found)["bridges"][0] == bridge);
  // The namespace is listed, with its veth joined to the host end.
  bool listed = false;
  for (const auto& n : doc["network_namespaces"]) {
    if (n["inode"] != (*found)["namespace"]["inode"]) continue;
    listed = true;
    REQUIRE(n["interfaces"].size() == 1);
    CHECK(n["interfaces"][0]["host_veth"]["name"] == host_end);
    CHECK(n["interfaces"][0]["bridge"] == bridge);
  }
  CHECK(listed);
}

TEST_CASE(
    "ir-hunt reports a pid namespace nested inside a container, and nothing for a plain one") {
  REQUIRE(engine_available());
  testbed bed;
  // On a network of the test's own: what others leave on docker0 is not about these containers.
  const auto net = bed.network("nest", {"--internal"});
  const auto nesting = bed.container(
      "nest", {"--network", net, "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined"},
      {"sh", "-c", "unshare -fp sleep 300 & exec sleep 300"});
  const auto plain = bed.container("plain", {"--network", net});
  // The nested sleep: pid 1 of a namespace below the container's, three NSpid levels.
  int nested = 0;
  wait_for(
      [&] {
        auto r = sh("grep -l '^NSpid:\t[0-9]*\t[0-9]*\t1$' /proc/[0-9]*/status 2>/dev/null");
        std::istringstream in(r.out);
        for (std::string path; std::getline(in, path);) {
          const int pid = std::stoi(path.substr(6));
          // Its cgroup is the container's: found by the init's pid namespace parent.
          std::ifstream cg("/proc/" + std::to_string(pid) + "/cgroup");
          std::stringstream text;
          text << cg.rdbuf();
          const std::string id = bed.docker({"inspect", "-f", "{{.Id}}", nesting});
          if (text.str().find(id.substr(0, 64)) != std::string::npos) nested = pid;
        }
        return nested != 0;
      },
      "the nested pid namespace", 10);
  const json doc = hunt_json({"--container", nesting});
  const json* f = finding(doc, "nested_pid_namespace", "pid", nested);
  REQUIRE(f != nullptr);
  CHECK((*f)["container_name"] == nesting);
  CHECK((*f)["severity"] == "medium");
  for (const auto& other : doc["findings"]) {
    CHECK(other["kind"] == "nested_pid_namespace");  // nothing else about this container
  }
  const json plain_doc = hunt_json({"--container", plain});
  CHECK(plain_doc["findings"].empty());
  CHECK(plain_doc["groups"].size() == 1);
}

namespace {

// A cgroup of this host's own making whose path names `id` (as /docker/<id> does), holding one
// sleeping process: what a container started behind the engine's back, or a process left
// behind by one it says is stopped, looks like to the kernel. Removed (process first) on exit.
struct cgroup_holding_sleep {
  std::string dir;
  std::unique_ptr<background_process> sleeper;
  cgroup_holding_sleep(const std::string& prefix, const std::string& id) {
    // cgroup v2 (unified at /sys/fs/cgroup) or v1 (its pids hierarchy).
    const std::string base = std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers")
                                 ? "/sys/fs/cgroup"
                                 : "/sys/fs/cgroup/pids";
    dir = base + "/" + prefix + "-" + id;
    REQUIRE(std::filesystem::create_directory(dir));
    sleeper = std::make_unique<background_process>(std::vector<std::string>{"sleep", "300"});
    std::ofstream(dir + "/cgroup.procs") << sleeper->pid() << "\n";
    wait_for(
        [&] {
          return sh("cat /proc/" + std::to_string(sleeper->pid()) + "/cgroup").out.find(id) !=
                 std::string::npos;
        },
        "the sleeper in its cgroup", 5);
  }
  ~cgroup_holding_sleep() {
    sleeper.reset();  // killed and reaped: the cgroup is empty again
    ::rmdir(dir.c_str());
  }
  cgroup_holding_sleep(const cgroup_holding_sleep&) = delete;
  cgroup_holding_sleep& operator=(const cgroup_holding_sleep&) = delete;
};

}  // namespace

TEST_CASE(
    "ir-hunt reports a cgroup naming a container the engine does not know, and a stopped "
    "container whose cgroup still holds a process") {
  REQUIRE(engine_available());
  testbed bed;
  const std::string unknown_id =
      trim(sh("printf %s '" + bed.prefix() + "' | sha256sum | cut -d' ' -f1").out);
  REQUIRE(unknown_id.size() == 64);
  const auto stopped = bed.container("stopped", {});
  const std::string stopped_id = trim(bed.docker({"inspect", "-f", "{{.Id}}", stopped}));
  bed.docker({"stop", "-t", "0", stopped});
  cgroup_holding_sleep behind_engine(bed.prefix() + "u", unknown_id);
  cgroup_holding_sleep left_behind(bed.prefix() + "s", stopped_id);

  const json doc = hunt_json();
  const json* unknown = finding(doc, "unknown_container_cgroup", "", behind_engine.sleeper->pid());
  REQUIRE(unknown != nullptr);
  CHECK((*unknown)["container_id"] == unknown_id);
  CHECK((*unknown)["severity"] == "high");
  const json* stale = finding(doc, "stopped_with_processes", "", left_behind.sleeper->pid());
  REQUIRE(stale != nullptr);
  CHECK((*stale)["container_id"] == stopped_id);
  CHECK((*stale)["container_name"] == stopped);
}

TEST_CASE("ir-hunt reports an engine whose pid for a running container is not the kernel's") {
  REQUIRE(engine_available());
  testbed bed;
  const auto net = bed.network("lying", {"--internal"});
  const auto name = bed.container("lying", {"--network", net});
  // The proxy says every container runs as this test process, which is in no container.
  fake_engine proxy(rewriting_pid(::getpid()));
  const json doc = hunt_json({"--host", proxy.uri(), "--container", name});
  const json* found = nullptr;
  for (const auto& f : doc["findings"]) {
    if (f["kind"] == "engine_pid_mismatch" && f["container_name"] == name) found = &f;
  }
  REQUIRE(found != nullptr);
  CHECK((*found)["severity"] == "high");
  const std::string summary = (*found)["summary"];
  CHECK(summary.find("runs as pid " + std::to_string(::getpid())) != std::string::npos);
  CHECK(summary.find("names no container") != std::string::npos);
  // The container's real processes are still named, from its cgroup.
  const int real = std::stoi(trim(bed.docker({"inspect", "-f", "{{.State.Pid}}", name})));
  bool listed = false;
  for (const auto& p : (*found)["pids"]) listed |= p == real;
  CHECK(listed);
}
