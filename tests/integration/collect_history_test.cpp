// ir-collect's view beyond what the engine says now: the engine's event history (an exec into
// the container, a sibling started next to it, the collection's own pause and commit) with its
// own files for the container, and processes the kernel puts in the container that the engine
// never started: one in a pid namespace nested inside it, one entered from the host.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/testbed.hpp"

namespace fs = std::filesystem;
using namespace forensic::testing;

namespace {

std::string random_marker() {
  std::random_device rd;
  std::ostringstream s;
  s << "marker-" << std::hex << rd() << rd();
  return s.str();
}

std::string sha256_of(const fs::path& file) {
  const auto r = run({"sha256sum", file.string()});
  return r.exit_code == 0 ? r.out.substr(0, 64) : "unreadable: " + file.string();
}

fs::path collect(const std::string& name, const fs::path& out,
                 const std::vector<std::string>& extra) {
  std::vector<std::string> args{name, "--out", out.string(), "--case", "HIST", "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = run_tool("ir-collect", args);
  INFO(r.err);
  REQUIRE((r.exit_code == 0 || r.exit_code == 1));
  const auto result = nlohmann::json::parse(r.out);
  // The network module is still pending; nothing else may fail.
  for (const auto& f : result["failures"]) {
    INFO(f.dump());
    CHECK(f["artifact"] == "network");
  }
  return result["bundle"].get<std::string>();
}

// Host pids whose argv is exactly `argv` (NUL-separated in /proc/<pid>/cmdline) and that
// `also` accepts: other runs on this host may have processes of the same name.
std::vector<int> host_pids_running(const std::vector<std::string>& argv,
                                   const std::function<bool(const fs::path&)>& also) {
  std::string wanted;
  for (const auto& a : argv) wanted += a + '\0';
  std::vector<int> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (slurp(e.path() / "cmdline") == wanted && also(e.path())) out.push_back(std::stoi(name));
  }
  return out;
}

bool child_of(const fs::path& proc_dir, int parent) {
  const std::string stat = slurp(proc_dir / "stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(stat.substr(close + 2));
  std::string state;
  int ppid = 0;
  rest >> state >> ppid;
  return ppid == parent;
}

// Kills what the test left running on the host, even when a REQUIRE failed.
struct kill_on_exit {
  std::vector<int> pids;
  ~kill_on_exit() {
    for (int pid : pids) ::kill(pid, SIGKILL);
  }
};

}  // namespace

TEST_CASE(
    "collect: the engine's history holds an exec into the container, a sibling, the "
    "collection itself, and the engine's own files byte for byte" *
    doctest::timeout(180)) {
  if (!engine_available()) return;
  testbed bed;
  const auto name = bed.container("hist", {"--network", "none"});
  const std::string marker = random_marker();
  // The test execs into its own container (the library never does): the engine logs it.
  bed.docker({"exec", name, "sh", "-c", "echo " + marker});
  // A sibling created and started later, as one started through a mounted docker.sock would be.
  const auto sibling = bed.container("sibling", {"--network", "none"});
  temp_dir out;
  const fs::path bundle = collect(name, out.path, {"--remove-image"});

  const std::string id = nlohmann::json::parse(slurp(bundle / "manifest.json"))["container"]["id"];
  const std::string sibling_id = bed.docker({"inspect", "-f", "{{.Id}}", sibling}).substr(0, 64);
  bool exec_seen = false, sibling_created = false, own_create = false, paused = false,
       unpaused = false;
  std::istringstream lines(slurp(bundle / "engine/events.jsonl"));
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    const auto e = nlohmann::json::parse(line);  // one event object per line
    const std::string action = e.value("Action", "");
    const std::string actor = e["Actor"].value("ID", "");
    if (actor == id && (action.starts_with("exec_create") || action.starts_with("exec_start")) &&
        action.find("echo " + marker) != std::string::npos) {
      exec_seen = true;
    }
    sibling_created |= actor == sibling_id && action == "create";
    own_create |= actor == id && action == "create";
    paused |= actor == id && action == "pause";
    unpaused |= actor == id && action == "unpause";
  }
  INFO(slurp(bundle / "engine/events.jsonl"));
  REQUIRE(exec_seen);
  REQUIRE(sibling_created);
  CHECK(own_create);
  // Taken again after the last step: the collection's own actions are on the record.
  // (The saved image is made from the export: no engine commit appears.)
  CHECK(paused);
  CHECK(unpaused);
  const auto manifest = nlohmann::json::parse(slurp(bundle / "manifest.json"));
  bool coverage_noted = false;
  for (const auto& a : manifest["artifacts"]) {
    if (a["path"] == "engine/events.jsonl") {
      coverage_noted = a["source"].get<std::string>().find("(no gap)") != std::string::npos;
    }
  }
  CHECK(coverage_noted);

  // The engine's files: the same bytes as on its disk now, with their metadata.
  const std::string root = bed.docker({"info", "-f", "{{.DockerRootDir}}"});
  const fs::path dir = fs::path(root.substr(0, root.find('\n'))) / "containers" / id;
  REQUIRE(fs::exists(bundle / "engine/files/config.v2.json"));
  REQUIRE(sha256_of(bundle / "engine/files/config.v2.json") == sha256_of(dir / "config.v2.json"));
  CHECK(sha256_of(bundle / "engine/files/hostconfig.json") == sha256_of(dir / "hostconfig.json"));
  const auto files = nlohmann::json::parse(slurp(bundle / "engine/files.json"));
  REQUIRE(files["collected"] == true);
  bool config_described = false, log_taken = false;
  for (const auto& f : files["files"]) {
    INFO(f.dump());
    CHECK(f.contains("sha256"));
    if (f["path"] == "engine/files/config.v2.json") {
      struct stat st {};
      REQUIRE(::stat((dir / "config.v2.json").c_str(), &st) == 0);
      config_described = f["inode"] == st.st_ino && f["uid"] == 0 && f["mode"] == "0600" &&
                         f["atime_preserved"] == true && f.contains("mtime") &&
                         f.contains("ctime") && f.contains("changed_while_read");
    }
    log_taken |= f["path"] == "engine/files/" + id + "-json.log";
  }
  CHECK(config_described);
  CHECK(log_taken);
  CHECK(sh("cd '" + bundle.string() + "' && sha256sum -c --quiet SHA256SUMS").exit_code == 0);
  CHECK(run_tool("ir-verify", {bundle.string()}).exit_code == 0);
}

TEST_CASE(
    "collect: processes in a nested pid namespace and one entered from the host are "
    "listed, each saying how it was found" *
    doctest::timeout(120)) {
  if (!engine_available()) return;
  testbed bed;
  // --mount-proc needs mount(2), which an AppArmor profile may refuse: then without it.
  const auto name = bed.container(
      "nested",
      {"--network", "none", "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined"},
      {"sh", "-c",
       "(unshare -fp --mount-proc sleep 1000 || unshare -fp sleep 1000) & touch /ready; "
       "exec sleep 3600"});
  wait_for_marker(bed, name, "/ready", "the nested namespace");
  const std::string id = bed.docker({"inspect", "-f", "{{.Id}}", name}).substr(0, 64);
  const auto in_container = [&](const fs::path& dir) {
    return slurp(dir / "cgroup").find(id) != std::string::npos;
  };
  wait_for(
      [&] {
        return !host_pids_running({"sleep", "1000"}, in_container).empty();
      },
      "the nested sleep");
  const std::string pid = bed.docker({"inspect", "-f", "{{.State.Pid}}", name});
  // util-linux nsenter from the host: into the container's pid, net and mount namespaces, but
  // not its cgroup.
  background_process nsenter(
      {"nsenter", "-t", pid.substr(0, pid.find('\n')), "-p", "-n", "-m", "--", "sleep", "1001"});
  kill_on_exit cleanup;  // destroyed first: the sleep goes, then nsenter, which waits for it
  // nsenter forks (a pid namespace is entered by children only): the sleep is its child.
  const auto from_nsenter = [&](const fs::path& dir) { return child_of(dir, nsenter.pid()); };
  wait_for(
      [&] {
        return !host_pids_running({"sleep", "1001"}, from_nsenter).empty();
      },
      "the entered sleep");
  cleanup.pids = host_pids_running({"sleep", "1001"}, from_nsenter);
  temp_dir out;
  const fs::path bundle = collect(name, out.path, {"--artifacts", "processes"});

  const auto doc = nlohmann::json::parse(slurp(bundle / "processes/processes.json"));
  INFO(doc.dump(1));
  const auto has = [](const nlohmann::json& p, const char* marker) {
    const auto& f = p["found_by"];
    return std::find(f.begin(), f.end(), marker) != f.end();
  };
  bool nested = false, entered = false, init = false;
  for (const auto& p : doc["processes"]) {
    if (p["cmdline"] == nlohmann::json{"sleep", "1000"}) {
      REQUIRE(has(p, "nested_pid_namespace"));
      CHECK(has(p, "cgroup"));
      CHECK(p["ns_pid"] == 1);  // init of its own namespace
      CHECK(p["entered_from_outside"] == false);
      nested = true;
    } else if (p["cmdline"] == nlohmann::json{"sleep", "1001"}) {
      REQUIRE(p["entered_from_outside"] == true);
      CHECK(has(p, "pid_namespace"));
      CHECK(has(p, "mnt_namespace"));
      CHECK_FALSE(has(p, "cgroup"));
      entered = true;
    } else if (p["pid"] == doc["init_pid"]) {
      CHECK(has(p, "cgroup"));
      CHECK(has(p, "pid_namespace"));
      CHECK(p["entered_from_outside"] == false);
      init = true;
    }
  }
  REQUIRE(nested);
  REQUIRE(entered);
  CHECK(init);
}
