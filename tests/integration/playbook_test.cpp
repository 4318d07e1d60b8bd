// End to end: a container beacons over TCP to an "internet" peer (203.0.113.70, a
// documentation address held by a network namespace of this test), drops a file in /tmp and
// writes a root crontab. playbooks/isolate-collect-analyze.sh, given only the peer's address,
// finds it, isolates it, collects with a capture and analyses; the bystander on the same
// network is left alone; release restores connectivity and leaves no rule of ours.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/testbed.hpp"

using namespace forensic::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* c2 = "203.0.113.70";

bool tools_built() {
  for (const char* t : {"ir-locate", "ir-isolate", "ir-collect", "ir-analyze"}) {
    if (::access(tool(t).c_str(), X_OK) != 0) return false;
  }
  return true;
}

// The peer namespace with a listener keeping every connection open; removed in the destructor.
struct internet_peer {
  std::string name;
  bool up = false;
  explicit internet_peer(std::string n) : name(std::move(n)) {
    auto r = run({"bash", std::string(FORENSIC_SOURCE_DIR) + "/tests/testbed/internet-peer.sh",
                  "up", name, c2});
    up = r.exit_code == 0;
    INFO(r.err);
    REQUIRE(up);
    sh("ip netns exec " + name +
       " busybox nc -ll -p 4444 -e /bin/cat </dev/null >/dev/null 2>&1 &");
  }
  ~internet_peer() {
    sh("ip netns pids " + name + " 2>/dev/null | xargs -r kill -9");
    run({"bash", std::string(FORENSIC_SOURCE_DIR) + "/tests/testbed/internet-peer.sh", "down",
         name});
  }
};

// From inside the container's network namespace (host busybox, no docker exec): can a new TCP
// connection to the C2 be opened?
bool can_connect(const std::string& pid) {
  return run({"nsenter", "--net=/proc/" + pid + "/ns/net", "busybox", "nc", "-w", "2", c2, "4444"},
             "x\n")
             .exit_code == 0;
}

bool holds_c2_socket(const std::string& pid) {
  // /proc/net/tcp: remote 203.0.113.70:4444 is "467100CB:115C" (address in host byte order),
  // state 01 is ESTABLISHED.
  auto r = sh("nsenter --net=/proc/" + pid + "/ns/net cat /proc/net/tcp");
  return r.out.find("467100CB:115C 01") != std::string::npos;
}

std::string our_rules(const std::string& id12) {
  return sh("{ iptables-save -t filter; ip6tables-save -t filter; } 2>/dev/null | grep -F "
            "'forensic-quarantine:" +
            id12 + "' || true")
      .out;
}

bool finding(const json& report, const std::string& kind, const std::string& text,
             const std::string& source) {
  for (const auto& f : report["findings"]) {
    if (f["kind"] == kind && f["summary"].get<std::string>().find(text) != std::string::npos &&
        f["source"].get<std::string>().find(source) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("playbook: --ip finds, isolates, collects and analyses the beaconing container") {
  REQUIRE_MESSAGE(!(!engine_available() || ::geteuid() != 0 || !tools_built()),
                  "needs root, a Docker engine and ir-locate/ir-isolate/ir-collect/ir-analyze");
  testbed tb;
  internet_peer peer("irpb" + std::to_string(::getpid() % 100000));
  const std::string net = tb.network("pb");  // user-defined, not internal: it reaches the peer
  const std::string bystander = tb.container("bystander", {"--network", net});
  const std::string beacon =
      tb.container("beacon", {"--network", net},
                   {"sh", "-c",
                    std::string("echo x > /tmp/dropper.sh; mkdir -p /var/spool/cron/crontabs; "
                                "echo '* * * * * /tmp/dropper.sh' > /var/spool/cron/crontabs/root; "
                                "(sleep 100000 | nc ") +
                        c2 + " 4444 >/dev/null) & while true; do timeout -s KILL 2 nc " + c2 +
                        " 4444 </dev/null >/dev/null 2>&1; sleep 1; done"});
  const std::string id = trim(tb.docker({"inspect", "-f", "{{.Id}}", beacon}));
  const std::string bystander_id = trim(tb.docker({"inspect", "-f", "{{.Id}}", bystander}));
  const std::string pid = trim(tb.docker({"inspect", "-f", "{{.State.Pid}}", beacon}));
  const std::string case_id = "IT-" + tb.prefix();
  const fs::path out = fs::temp_directory_path() / (tb.prefix() + "-evidence");
  struct cleanup_t {
    std::string id, case_id;
    fs::path out;
    ~cleanup_t() {
      run_tool("ir-isolate", {id, "--release"});
      sh("docker images -q --filter label=forensic.case=" + case_id + " | xargs -r docker rmi -f");
      std::error_code ec;
      fs::remove_all(out, ec);
    }
  } cleanup{id, case_id, out};

  bool live = false;
  for (int i = 0; i < 30 && !(live = holds_c2_socket(pid)); ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  REQUIRE_MESSAGE(live, "the beacon never connected to the peer");
  CHECK(can_connect(pid));

  auto r = run({"env", "FORENSIC_TOOLS_DIR=" + std::string(FORENSIC_TOOLS_DIR), "bash",
                std::string(FORENSIC_SOURCE_DIR) + "/playbooks/isolate-collect-analyze.sh", "--ip",
                c2, "--out", out.string(), "--case", case_id, "--capture", "6"});
  INFO("stdout: " << r.out);
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("[step ") == std::string::npos);  // no progress lines when not a terminal
  const auto at = r.out.find("report: ");
  REQUIRE(at != std::string::npos);
  const std::string report_md = trim(r.out.substr(at + 8, r.out.find('\n', at) - at - 8));
  CHECK(r.out.find("report: ", at + 1) == std::string::npos);  // one container, one report
  REQUIRE(fs::exists(report_md));

  // Isolated: its next connection attempts fail; the bystander is not quarantined.
  CHECK_FALSE(can_connect(pid));
  CHECK_FALSE(our_rules(id.substr(0, 12)).empty());
  CHECK(our_rules(bystander_id.substr(0, 12)).empty());

  std::ifstream md_in(report_md);
  std::stringstream md;
  md << md_in.rdbuf();
  const std::string json_path = report_md.substr(0, report_md.size() - 3) + ".json";
  std::ifstream json_in(json_path);
  REQUIRE(json_in);
  const json report = json::parse(json_in);
  CHECK(report["verification"]["status"] == "verified");
  CHECK(report["container"]["id"] == id);
  CHECK(md.str().find(beacon) != std::string::npos);     // names the container
  CHECK(md.str().find(bystander) == std::string::npos);  // and not the bystander
  CHECK(finding(report, "temp_file", "/tmp/dropper.sh", "engine/diff.json"));
  CHECK(finding(report, "persistence", "/var/spool/cron/crontabs/root", "engine/diff.json"));
  CHECK(finding(report, "ioc_match", c2, ""));
  // The capture and the sockets come from ir-collect's capture and network steps.
  auto read = [&](const std::string& f) {
    for (const auto& x : report["files_read"]) {
      if (x == f) return true;
    }
    return false;
  };
  REQUIRE(read("capture/capture.pcapng"));
  REQUIRE(read("network/network.json"));
  CHECK(finding(report, "external_traffic", c2, "capture/capture.pcapng"));
  CHECK(finding(report, "unanswered_syn", c2, "capture/capture.pcapng"));
  CHECK(finding(report, "ioc_match", c2, "capture/capture.pcapng"));
  // The sockets and flows ir-collect's network step read from the container's namespace and the
  // host's conntrack table.
  REQUIRE_FALSE(report["sockets"].empty());
  CHECK(finding(report, "remote_socket", c2, "network/network.json"));
  CHECK(finding(report, "ioc_match", c2, "network/network.json"));
  bool beacon_socket = false;
  for (const auto& s : report["sockets"]) {
    if (s["remote_address"] == c2 && s["remote_port"] == 4444 && s["comm"] == "nc" &&
        s["pid"].get<int>() > 0) {
      beacon_socket = true;
    }
  }
  CHECK(beacon_socket);
  bool beacon_flow = false;
  for (const auto& f : report["conntrack"]) {
    if (f["dst"] == c2 && f["dport"] == 4444 && f["reply_src"] == c2 &&
        f["reply_dport"].get<int>() > 0) {
      beacon_flow = true;
    }
  }
  CHECK(beacon_flow);

  // The same bundle for the SOC: SIEM lines, the Timesketch timeline, the bodyfile read by
  // sleuthkit's mactime, and the HTML report rendered by a real browser.
  const std::string bundle =
      report_md.substr(0, report_md.size() - std::string(".report.md").size());
  const std::string iocs = (out / (case_id + "-iocs.txt")).string();
  {
    auto ecs = run_tool("ir-analyze", {bundle, "--ioc", iocs, "--format", "ecs"});
    REQUIRE(ecs.exit_code == 0);
    bool c2_alert = false;
    std::stringstream lines(ecs.out);
    for (std::string line; std::getline(lines, line);) {
      const json e = json::parse(line);
      CHECK(e["container"]["id"] == id);
      c2_alert |= e["event"]["kind"] == "alert" && e.contains("threat") &&
                  e["threat"]["indicator"]["ip"] == c2;
    }
    CHECK(c2_alert);
    auto ocsf = run_tool("ir-analyze", {bundle, "--ioc", iocs, "--format", "ocsf"});
    REQUIRE(ocsf.exit_code == 0);
    CHECK(ocsf.out.find("\"class_uid\":2004") != std::string::npos);
    CHECK(ocsf.out.find("\"class_uid\":4001") != std::string::npos);  // the captured flows
    auto ts = run_tool("ir-analyze", {bundle, "--format", "timesketch"});
    REQUIRE(ts.exit_code == 0);
    CHECK(ts.out.find("\"timestamp_desc\"") != std::string::npos);
    const std::string body = (out / "body.txt").string();
    auto bf = run_tool("ir-analyze", {bundle, "--format", "bodyfile", "--out", body});
    INFO(bf.err);
    REQUIRE(bf.exit_code == 0);
    auto mactime = run({"mactime", "-b", body, "-z", "UTC"});
    CHECK(mactime.exit_code == 0);
    CHECK(mactime.out.find("/tmp/dropper.sh") != std::string::npos);
  }
  {
    const fs::path html = out / "report.html";
    auto page =
        run_tool("ir-analyze", {bundle, "--ioc", iocs, "--format", "html", "--out", html.string()});
    REQUIRE(page.exit_code == 0);
    const fs::path profile = out / "chromium-profile";
    const fs::path png = out / "report.png";
    const std::vector<std::string> chromium{"timeout",
                                            "120",
                                            "chromium",
                                            "--headless",
                                            "--no-sandbox",
                                            "--disable-gpu",
                                            "--no-first-run",
                                            "--user-data-dir=" + profile.string(),
                                            "--enable-logging=stderr",
                                            "--v=0",
                                            "--window-size=1200,2400"};
    auto shot = chromium;
    shot.push_back("--screenshot=" + png.string());
    shot.push_back("file://" + html.string());
    auto r_shot = run(shot);
    INFO(r_shot.err);
    REQUIRE(r_shot.exit_code == 0);
    CHECK(fs::file_size(png) > 10000);
    // No console message at all: the page has no script, and nothing it holds tried to load.
    CHECK(r_shot.err.find(":CONSOLE") == std::string::npos);
    auto dom = chromium;
    dom.push_back("--dump-dom");
    dom.push_back("file://" + html.string());
    auto r_dom = run(dom);
    REQUIRE(r_dom.exit_code == 0);
    CHECK(r_dom.err.find(":CONSOLE") == std::string::npos);
    CHECK(r_dom.out.find(c2) != std::string::npos);
    CHECK(r_dom.out.find("/tmp/dropper.sh") != std::string::npos);
    CHECK(r_dom.out.find("id=\"timeline\"") != std::string::npos);
    CHECK(r_dom.out.find("id=\"placement-map\"") != std::string::npos);
    CHECK(r_dom.out.find("<script") == std::string::npos);
  }

  // Release: connectivity is back, and no rule of ours is left.
  auto rel = run_tool("ir-isolate", {id, "--release"});
  CHECK(rel.exit_code == 0);
  CHECK(our_rules(id.substr(0, 12)).empty());
  CHECK(can_connect(pid));
}

namespace {

// The playbook copied into `root`/playbooks, so that `root`/build/*/tools is "a build made by
// the README's commands" next to it; run without FORENSIC_TOOLS_DIR and with a PATH that holds
// no ir-* tool.
command_result run_copied_playbook(const fs::path& root, const std::vector<std::string>& args) {
  fs::create_directories(root / "playbooks");
  fs::copy_file(fs::path(FORENSIC_SOURCE_DIR) / "playbooks" / "isolate-collect-analyze.sh",
                root / "playbooks" / "isolate-collect-analyze.sh",
                fs::copy_options::overwrite_existing);
  std::vector<std::string> argv{"env",
                                "-u",
                                "FORENSIC_TOOLS_DIR",
                                "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                "bash",
                                (root / "playbooks" / "isolate-collect-analyze.sh").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

}  // namespace

TEST_CASE("playbook: a missing tool stops the run with one line, exit 3") {
  REQUIRE(
      run({"bash", "-c", "PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v ir-locate"}).exit_code !=
      0);
  temp_dir root;
  // Nowhere: not in FORENSIC_TOOLS_DIR, not on PATH, no build beside the playbook.
  auto r = run_copied_playbook(
      root.path, {"--ip", "198.51.100.29", "--out", (root.path / "evidence").string()});
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 3);
  CHECK(r.out.empty());
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.err.find("ir-locate not found") != std::string::npos);
  CHECK(r.err.find("command not found") == std::string::npos);
  // FORENSIC_TOOLS_DIR naming a directory without the tools: the same one line.
  auto dir = run({"env", "FORENSIC_TOOLS_DIR=" + root.path.string(), "bash",
                  std::string(FORENSIC_SOURCE_DIR) + "/playbooks/isolate-collect-analyze.sh",
                  "--ip", "198.51.100.29"});
  CHECK(dir.exit_code == 3);
  CHECK(std::count(dir.err.begin(), dir.err.end(), '\n') == 1);
  CHECK(dir.err.find("ir-locate not found") != std::string::npos);
}

TEST_CASE("playbook: the tools of a build made by the README's commands are found") {
  REQUIRE_MESSAGE(!(!engine_available() || ::geteuid() != 0 || !tools_built()),
                  "needs root, a Docker engine and the four tools");
  temp_dir root;
  // build/<dir>/tools/ir-*, as `cmake -B build/ci` (run-tests.sh) or build/demo lay them out.
  const fs::path tools = root.path / "build" / "ci" / "tools";
  fs::create_directories(tools);
  for (const char* t : {"ir-locate", "ir-isolate", "ir-collect", "ir-analyze"}) {
    fs::create_symlink(tool(t), tools / t);
  }
  // An address nobody holds: ir-locate (found in the build) answers, nothing is isolated.
  auto r = run_copied_playbook(
      root.path, {"--ip", "198.51.100.29", "--out", (root.path / "evidence").string()});
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("not found") == std::string::npos);
  CHECK(r.err.find("no container on this host holds or talks to 198.51.100.29") !=
        std::string::npos);
}
