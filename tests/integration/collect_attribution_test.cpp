// ir-collect refuses to read this host's /proc for a pid the engine cannot be shown to have
// told the truth about: an engine proxy that rewrites State.Pid stands in for a remote, proxied
// or compromised engine.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "support/engine_proxy.hpp"
#include "support/fake_engine.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/testbed.hpp"

namespace fs = std::filesystem;
using namespace forensic::testing;
using nlohmann::json;

TEST_CASE(
    "collect: an engine reporting a pid that is not the container's gets no host-side "
    "artifact" *
    doctest::timeout(180)) {
  REQUIRE(engine_available());
  REQUIRE(::geteuid() == 0);
  testbed bed;
  const std::string net = bed.network("proxied");
  const std::string name =
      bed.container("proxied", {"--network", net},
                    {"sh", "-c", "echo inside > /tmp/marker; touch /tmp/ready; exec sleep 3600"});
  wait_for_marker(bed, name, "/tmp/ready", "the container's marker");
  const std::string id = trim(bed.docker({"inspect", "-f", "{{.Id}}", name}));
  // The test's own pid: a real process of this host, in no container. Read as the container's,
  // its root is this host's / (files/etc/shadow would be the host's shadow) and its processes
  // are this host's.
  fake_engine proxy(rewriting_pid(::getpid()));

  temp_dir out;
  auto r = run_tool(
      "ir-collect",
      {name, "--host", proxy.uri(), "--out", out.path.string(), "--case", "IT-PID", "--artifacts",
       "inspect,processes,files,network,hunt,logs,diff,export,memory", "--capture", "1", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 1);  // an artifact could not be taken
  const auto result = json::parse(r.out);
  const fs::path bundle = result["bundle"].get<std::string>();

  // The proxy was used and did lie.
  const auto inspect = json::parse(slurp(bundle / "engine/container-inspect.json"));
  CHECK(inspect["State"]["Pid"] == ::getpid());
  CHECK(inspect["Id"] == id);

  // Each host-side artifact is refused by name, with the reason, on one line each.
  std::set<std::string> refused;
  for (const auto& n : result["not_collected"]) {
    refused.insert(n["artifact"].get<std::string>());
    const std::string reason = n["reason"];
    CHECK(reason.find("pid " + std::to_string(::getpid())) != std::string::npos);
    CHECK(reason.find("/cgroup on this host names") != std::string::npos);
  }
  CHECK(refused == std::set<std::string>{"capture", "processes", "files", "network", "hunt",
                                         "export", "bodyfile", "memory"});
  for (const char* artifact : {"processes", "files", "network", "capture"}) {
    CHECK(r.err.find(std::string("ir-collect: ") + artifact +
                     " not collected: not read from this host: the engine reports pid " +
                     std::to_string(::getpid())) != std::string::npos);
  }
  const auto manifest = json::parse(slurp(bundle / "manifest.json"));
  CHECK(manifest["not_collected"].size() == refused.size());
  CHECK(manifest["failures"].empty());
  CHECK(slurp(bundle / "custody.jsonl").find("host-side artifacts not collected") !=
        std::string::npos);

  // Nothing of this host was saved as the container's.
  CHECK_FALSE(fs::exists(bundle / "files"));
  CHECK_FALSE(fs::exists(bundle / "processes"));
  CHECK_FALSE(fs::exists(bundle / "network"));
  CHECK_FALSE(fs::exists(bundle / "capture"));
  CHECK_FALSE(fs::exists(bundle / "memory"));
  CHECK_FALSE(fs::exists(bundle / "hunt"));
  CHECK_FALSE(fs::exists(bundle / "filesystem/deep-paths.tar"));
  const std::string host_shadow = slurp("/etc/shadow");
  const std::string root_line = host_shadow.substr(0, host_shadow.find('\n'));
  if (!root_line.empty()) {
    CHECK(run({"grep", "-rqF", root_line, bundle.string()}).exit_code == 1);
  }
  // What the engine itself gives is still taken, through the proxy.
  CHECK(fs::exists(bundle / "filesystem/export.tar"));
  CHECK(fs::exists(bundle / "engine/diff.json"));
  CHECK(run_tool("ir-verify", {bundle.string()}).exit_code == 0);
  CHECK(state_of(bed, name) == "true false\n");
}
