// ir-collect and ir-verify against the real engine: a tampered container collected into a
// bundle that standard tools check, Ctrl-C during a large export, an unknown container.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/testbed.hpp"

namespace fs = std::filesystem;
using namespace forensic::testing;

namespace {

// The container tampers with itself from its own command line: a dropped file, an added
// passwd user, both log streams, an implant that deletes its own binary, links to host paths.
const std::vector<std::string> tamper_cmd{
    "sh", "-c",
    "echo x > /tmp/dropped; echo evil:x:0:0::/:/bin/sh >> /etc/passwd; echo out; echo err >&2; "
    "cp /bin/busybox /tmp/sleep; /tmp/sleep 3600 & sleep 0.2; rm /tmp/sleep; "
    "ln -s /etc/shadow /tmp/hostlink; ln -s /etc/shadow /root/.ash_history; touch /tmp/ready; "
    "exec sleep 3600"};

}  // namespace

TEST_CASE(
    "collect: a tampered container gives a bundle that sha256sum, tar, docker load and "
    "ir-verify accept" *
    doctest::timeout(120)) {
  if (!engine_available()) return;
  testbed bed;
  const auto name = bed.container("tampered", {"--network", "none"}, tamper_cmd);
  wait_for_marker(bed, name, "/tmp/ready", "the tampering");
  temp_dir out;
  auto r = run_tool("ir-collect", {name, "--out", out.path.string(), "--case", "IT-1", "--operator",
                                   "ci", "--archive", "tar", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto result = nlohmann::json::parse(r.out);
  CHECK(result["failures"].empty());
  CHECK(result["not_collected"].empty());
  const fs::path bundle = result["bundle"].get<std::string>();
  CHECK(bundle.filename().string().rfind("IT-1-" + name + "-", 0) == 0);
  CHECK(state_of(bed, name) == "true false\n");

  // Standard tools.
  CHECK(sh("cd '" + bundle.string() + "' && sha256sum -c --quiet SHA256SUMS").exit_code == 0);
  auto listing = run({"tar", "-tf", (bundle / "filesystem/export.tar").string()});
  CHECK(listing.out.find("tmp/dropped") != std::string::npos);
  // Nothing too deep for the engine here: no supplement to its export.
  CHECK_FALSE(fs::exists(bundle / "filesystem/deep-paths.tar"));
  auto load = run({"docker", "load", "-i", (bundle / "image/commit.tar").string()});
  CHECK(load.exit_code == 0);
  CHECK(load.out.find("forensic/it-1-" + name) != std::string::npos);
  const auto loaded_at = load.out.find("Loaded image: ");
  REQUIRE(loaded_at != std::string::npos);
  std::string loaded = load.out.substr(loaded_at + 14);
  loaded = loaded.substr(0, loaded.find('\n'));
  auto labels = run(
      {"docker", "image", "inspect", "-f", "{{index .Config.Labels \"forensic.case\"}}", loaded});
  CHECK(labels.out == "IT-1\n");
  sh("docker images -q 'forensic/it-1-" + name + "' | xargs -r docker rmi -f >/dev/null");

  // What the tampering left, each where docs/bundle.md says.
  CHECK(slurp(bundle / "engine/diff.json").find("\"/tmp/dropped\"") != std::string::npos);
  CHECK(slurp(bundle / "files/etc/passwd").find("evil:x:0:0::/:/bin/sh") != std::string::npos);
  CHECK(slurp(bundle / "logs/stdout.log").find("Z out\n") != std::string::npos);
  CHECK(slurp(bundle / "logs/stderr.log").find("Z err\n") != std::string::npos);
  CHECK(slurp(bundle / "logs/stdout.log").find("err") == std::string::npos);
  const auto procs = nlohmann::json::parse(slurp(bundle / "processes/processes.json"));
  int deleted = 0;
  for (const auto& p : procs["processes"]) {
    if (!p["exe_deleted"].get<bool>()) continue;
    ++deleted;
    const fs::path copy = bundle / "processes" / std::to_string(p["pid"].get<int>()) / "exe";
    CHECK(fs::exists(copy));
    CHECK(p["exe"].get<std::string>().find("/tmp/sleep") != std::string::npos);
    CHECK(p["cmdline"] == nlohmann::json({"/tmp/sleep", "3600"}));
  }
  CHECK(deleted == 1);
  // The links to /etc/shadow resolve inside the container (where it does not exist), so no
  // host file came in.
  CHECK_FALSE(fs::exists(bundle / "files/root/.ash_history"));
  CHECK_FALSE(fs::exists(bundle / "files/etc/shadow"));
  const std::string host_shadow = slurp("/etc/shadow");
  const std::string root_line = host_shadow.substr(0, host_shadow.find('\n'));
  if (!root_line.empty()) {
    CHECK(run({"grep", "-rqF", root_line, bundle.string()}).exit_code == 1);
  }
  const auto manifest = nlohmann::json::parse(slurp(bundle / "manifest.json"));
  CHECK(manifest["operator"] == "ci");
  CHECK(manifest["container"]["name"] == name);
  CHECK(slurp(bundle / "custody.jsonl").find("/export\"") != std::string::npos);

  // ir-verify: directory and archive pass; one flipped byte fails.
  CHECK(run_tool("ir-verify", {bundle.string()}).exit_code == 0);
  CHECK(run_tool("ir-verify", {result["archive"]["path"].get<std::string>()}).exit_code == 0);
  {
    std::fstream f(bundle / "filesystem/export.tar",
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(700);
    f.put('\x7f');
  }
  auto bad = run_tool("ir-verify", {bundle.string()});
  CHECK(bad.exit_code == 1);
  CHECK(bad.out.find("MODIFIED filesystem/export.tar") != std::string::npos);
}

TEST_CASE("collect: Ctrl-C during a large export unpauses and leaves nothing verifiable" *
          doctest::timeout(120)) {
  if (!engine_available()) return;
  testbed bed;
  // Not zeros: the bundle writes whole zero blocks as holes, which made a zero-filled export
  // finish before the test could interrupt it.
  const auto name = bed.container(
      "large", {"--network", "none"},
      {"sh", "-c",
       "yes 'not zeros, so the export must really be written' | head -c 600000000 > /big && "
       "touch /ready && exec sleep 3600"});
  wait_for_marker(bed, name, "/ready", "the large file");
  temp_dir out;
  const pid_t child = ::fork();
  if (child == 0) {
    const std::string tool_path = tool("ir-collect");
    ::freopen("/dev/null", "w", stdout);
    ::execl(tool_path.c_str(), "ir-collect", name.c_str(), "--out", out.path.c_str(), "--artifacts",
            "inspect,export", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  bool paused_during_export = false;
  wait_for(
      [&] {
        for (const auto& e : fs::directory_iterator(out.path)) {
          const auto tar = e.path() / "filesystem/export.tar";
          std::error_code ec;
          if (fs::file_size(tar, ec) > (1u << 20)) {
            paused_during_export = state_of(bed, name) == "true true\n";
            return true;
          }
        }
        return false;
      },
      "the export to start");
  ::kill(child, SIGINT);
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  CHECK(paused_during_export);
  CHECK(state_of(bed, name) == "true false\n");
  for (const auto& e : fs::directory_iterator(out.path)) {
    INFO(e.path().string());
    CHECK(e.path().extension() == ".partial");
    CHECK(run_tool("ir-verify", {e.path().string()}).exit_code == 1);
  }
}

TEST_CASE("collect: an unknown container or an unusable output writes nothing") {
  if (!engine_available()) return;
  temp_dir out;
  auto r = run_tool("ir-collect", {"irt-no-such-container-x", "--out", out.path.string()});
  CHECK(r.exit_code == 5);
  CHECK(r.err.find("irt-no-such-container-x") != std::string::npos);
  CHECK(fs::is_empty(out.path));
  testbed bed;
  const auto name = bed.container("plain", {"--network", "none"});
  r = run_tool("ir-collect", {name, "--out", (out.path / "absent").string()});
  CHECK(r.exit_code == 6);
  CHECK(fs::is_empty(out.path));
  CHECK(state_of(bed, name) == "true false\n");
}
