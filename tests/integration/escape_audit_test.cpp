// The escape audit from the kernel's truth, against the real engine: each flag on a container
// configured for it and absent on a plain one, in ir-ps (JSON and table), in the bundle
// (processes/escape-audit.json) and as ir-analyze findings.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/testbed.hpp"

namespace fs = std::filesystem;
using namespace forensic::testing;
using nlohmann::json;

namespace {

const json& by_name(const json& doc, const std::string& name) {
  for (const auto& c : doc["containers"]) {
    if (c["name"] == name) return c;
  }
  FAIL("no container " << name);
  throw;
}

std::set<std::string> flags_of(const json& kernel) {
  std::set<std::string> out;
  for (const auto& f : kernel["flags"]) out.insert(f.get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("escape audit: each kernel flag on a container configured for it, none on a plain one" *
          doctest::timeout(180)) {
  REQUIRE(engine_available());
  REQUIRE(::geteuid() == 0);
  testbed bed;
  // Every capability this engine accepts among those flagged (20.10 knows neither BPF nor
  // PERFMON), no seccomp filter, host paths mounted (each on its own, since a recursive bind
  // lists its submounts once), dockerd's containerd socket, and a device.
  std::vector<std::string> risky_args;
  const std::vector<std::string> caps{"SYS_ADMIN", "SYS_MODULE",   "SYS_PTRACE", "DAC_READ_SEARCH",
                                      "NET_ADMIN", "SYS_RAWIO",    "SYS_BOOT",   "SYS_TIME",
                                      "MAC_ADMIN", "MAC_OVERRIDE", "SYSLOG"};
  for (const auto& c : caps) risky_args.insert(risky_args.end(), {"--cap-add", c});
  const std::string containerd_sock = fs::exists("/run/containerd/containerd.sock")
                                          ? "/run/containerd/containerd.sock"
                                          : "/run/docker/containerd/containerd.sock";
  REQUIRE(fs::exists(containerd_sock));
  REQUIRE(fs::exists("/dev/fuse"));
  for (const std::string v :
       {"/:/host:ro", "/etc:/hetc:ro", "/proc:/hproc:ro", "/sys:/hsys:ro", "/dev:/hdev:ro",
        "/var/lib/docker:/vld:ro", "/var/run/docker.sock:/ds:ro"}) {
    risky_args.insert(risky_args.end(), {"-v", v});
  }
  risky_args.insert(risky_args.end(), {"-v", containerd_sock + ":/cs:ro", "--security-opt",
                                       "seccomp=unconfined", "--device", "/dev/fuse"});
  const std::string risky = bed.container("risky", risky_args);
  const std::string plain = bed.container("plain", {});
  const std::string hard = bed.container(
      "hard", {"--read-only", "--security-opt", "no-new-privileges", "--user", "1000:1000"});

  auto ps = run_tool("ir-ps", {"--json", "--filter", "label=" + bed.label()});
  INFO(ps.err);
  REQUIRE(ps.exit_code == 0);
  const json doc = json::parse(ps.out);
  const json& rk = by_name(doc, risky)["kernel"];
  const json& pk = by_name(doc, plain)["kernel"];
  const json& hk = by_name(doc, hard)["kernel"];
  REQUIRE(rk["collected"] == true);
  REQUIRE(pk["collected"] == true);
  REQUIRE(hk["collected"] == true);

  std::set<std::string> expected{
      "SECCOMP-UNCONFINED", "ROOT-NO-USERNS",  "HOST-ROOT-MOUNT", "HOST-ETC-MOUNT",
      "HOST-PROC-MOUNT",    "HOST-SYS-MOUNT",  "HOST-DEV-MOUNT",  "DOCKER-DATA-MOUNT",
      "DOCKER-SOCK",        "CONTAINERD-SOCK", "DEVICES"};
  for (const auto& c : caps) expected.insert("CAP_" + c);
  CHECK(flags_of(rk) == expected);
  // A plain container runs as root without a user namespace, and only that.
  CHECK(flags_of(pk) == std::set<std::string>{"ROOT-NO-USERNS"});
  CHECK(flags_of(hk).empty());

  // The facts behind the flags.
  bool sock = false, root = false;
  for (const auto& m : rk["mounts"]) {
    sock |= m["mount_point"] == "/ds" && m["host_path"] == "/run/docker.sock";
    root |= m["mount_point"] == "/host" && m["host_path"] == "/";
  }
  CHECK(sock);
  CHECK(root);
  REQUIRE(rk["devices"].size() == 1);
  CHECK(rk["devices"][0]["path"] == "/dev/fuse");
  CHECK(rk["devices"][0]["major"] == 10);
  CHECK(rk["processes"][0]["seccomp"] == "disabled");
  CHECK(pk["processes"][0]["seccomp"] == "filter");
  CHECK(pk["mounts"].empty());
  CHECK(pk["devices"].empty());
  CHECK(pk["hardening"]["no_new_privs"] == false);
  CHECK(pk["hardening"]["readonly_rootfs"] == false);
  CHECK(hk["hardening"]["no_new_privs"] == true);
  CHECK(hk["hardening"]["readonly_rootfs"] == true);
  CHECK(hk["processes"][0]["euid"] == 1000);
  CHECK(pk["hardening"]["user_namespace"] == false);
  // AppArmor: a flag only where the host enables it; this says which.
  const bool apparmor = trim(slurp("/sys/module/apparmor/parameters/enabled")) == "Y";
  CHECK(pk["apparmor_enabled"] == apparmor);
  CHECK(flags_of(pk).count("APPARMOR-UNCONFINED") == 0);

  // The table shows the kernel's flags after the engine's.
  auto table = run_tool("ir-ps", {"--filter", "label=" + bed.label()});
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.find("DEVICES") != std::string::npos);
  CHECK(table.out.find("HOST-ROOT-MOUNT") != std::string::npos);

  // The collection keeps the audit; ir-analyze turns each flag into a finding.
  temp_dir out;
  // (No structured binding: clang 14 rejects one captured by doctest's INFO.)
  for (const auto& target : std::vector<std::pair<std::string, std::set<std::string>>>{
           {risky,
            {"cap_sys_admin", "docker_sock", "host_root_mount", "devices", "seccomp_unconfined"}},
           {plain, {"root_no_userns"}}}) {
    const std::string& name = target.first;
    const std::set<std::string>& want = target.second;
    auto r = run_tool("ir-collect", {name, "--out", out.path.string(), "--case", "IT-ESC",
                                     "--artifacts", "processes", "--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const fs::path bundle = json::parse(r.out)["bundle"].get<std::string>();
    const json audit = json::parse(slurp(bundle / "processes/escape-audit.json"));
    CHECK(audit["collected"] == true);
    auto a = run_tool("ir-analyze", {bundle.string(), "--json"});
    INFO(a.out.substr(0, 3000));
    REQUIRE(a.exit_code <= 1);
    std::set<std::string> kinds;
    const json report = json::parse(a.out);
    for (const auto& f : report["findings"]) {
      if (f["category"] == "escape") kinds.insert(f["kind"].get<std::string>());
    }
    for (const auto& k : want) CHECK_MESSAGE(kinds.count(k) == 1, k);
    if (name == plain) {
      CHECK(kinds == std::set<std::string>{"root_no_userns", "hardening_absent"});
    }
  }
}
