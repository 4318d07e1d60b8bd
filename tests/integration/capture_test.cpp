// ir-capture against real containers on --internal networks: a container's veth, a network's
// custom-named bridge, several interfaces in one pcapng, Ctrl-C, limits and refusals. Every
// file must be read by tcpdump and tshark, hash-checked by sha256sum -c, and its packet count
// must agree with the statistics the tool printed.
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "forensic/capture/session.hpp"
#include "support/scratch.hpp"
#include "support/testbed.hpp"

using namespace forensic::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// The shared temp_dir, with `dir / "name"` giving a path as a string for the commands.
struct scratch : temp_dir {
  scratch() : temp_dir("ir-capture-it") {}
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

std::string quote(const std::string& s) { return "'" + s + "'"; }

std::string ip_of(const testbed& bed, const std::string& container, const std::string& network) {
  auto out = bed.docker({"inspect", "-f",
                         "{{(index .NetworkSettings.Networks \"" + network + "\").IPAddress}}",
                         container});
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  REQUIRE_MESSAGE(!out.empty(), std::string(container + " has no address on " + network));
  return out;
}

// Starts ir-capture in the background, waits until it says it captures, runs `traffic`, then
// either waits for it to stop by itself or sends it `signal`. Returns the exit code line and
// leaves stdout/stderr in out.txt/err.txt of `dir`.
int capture_around(const scratch& dir, const std::vector<std::string>& args,
                   const std::string& traffic, const std::string& signal = "") {
  std::string cmd = quote(tool("ir-capture"));
  for (const auto& a : args) cmd += " " + quote(a);
  std::string script = cmd + " >" + dir / "out.txt" + " 2>" + dir / "err.txt" + " & p=$!\n" +
                       "for i in $(seq 100); do grep -q 'capturing on' " + dir / "err.txt" +
                       " && break; kill -0 $p 2>/dev/null || break; sleep 0.1; done\n" + traffic +
                       "\n" + (signal.empty() ? "" : "kill -" + signal + " $p\n") +
                       "wait $p; echo $?";
  auto r = sh(script);
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return std::stoi(r.out);
}

std::string file_text(const std::string& path) {
  auto r = run({"cat", path});
  return r.out;
}

int lines_of(const command_result& r) {
  int n = 0;
  for (char c : r.out) n += c == '\n';
  return n;
}

// tcpdump and tshark both read the file, and both count `expected` packets.
void check_readable(const std::string& file, int expected) {
  auto td = run({"tcpdump", "-nn", "-r", file});
  CHECK_MESSAGE(td.exit_code == 0, td.err);
  CHECK(lines_of(td) == expected);
  auto ts = run({"tshark", "-n", "-r", file});
  CHECK_MESSAGE(ts.exit_code == 0, ts.err);
  CHECK(lines_of(ts) == expected);
}

void check_hashed(const std::string& file) {
  const auto dir = fs::path(file).parent_path().string();
  auto r = sh("cd " + quote(dir) + " && sha256sum -c " +
              quote(fs::path(file).filename().string() + ".sha256"));
  CHECK_MESSAGE(r.exit_code == 0, std::string(r.out + r.err));
  CHECK_FALSE(fs::exists(file + ".partial"));
}

struct pair_on_internal {
  testbed bed;
  std::string net, a, b, a_ip;
  explicit pair_on_internal(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> opts{"--internal"};
    opts.insert(opts.end(), extra.begin(), extra.end());
    net = bed.network("cap", opts);
    a = bed.container("a", {"--network", net});
    b = bed.container("b", {"--network", net});
    a_ip = ip_of(bed, a, net);
  }
  std::string ping_from_b(int count) const {
    return "docker exec " + b + " ping -c " + std::to_string(count) + " -i 0.2 " + a_ip +
           " >/dev/null";
  }
};

}  // namespace

TEST_CASE("ir-capture --container: a ping on an internal network, read by tcpdump and tshark") {
  REQUIRE(engine_available());
  pair_on_internal s;
  scratch dir;
  const auto file = dir / "b.pcapng";
  int rc = capture_around(dir,
                          {"--container", s.b, "--filter", "icmp", "--duration", "3", "--write",
                           file, "--json", "--comment", "case IT-1"},
                          s.ping_from_b(5));
  REQUIRE_MESSAGE(rc == 0, file_text(dir / "err.txt"));
  const auto j = json::parse(file_text(dir / "out.txt"));
  CHECK(j["stop_reason"] == "duration");
  REQUIRE(j["interfaces"].size() == 1);
  const auto& i = j["interfaces"][0];
  CHECK(i["name"].get<std::string>().rfind("veth", 0) == 0);
  CHECK(i["description"].get<std::string>().find(s.b) != std::string::npos);
  CHECK(i["captured"] == 10);  // 5 echo requests, 5 replies
  CHECK(i["received"] == i["captured"]);
  CHECK(i["dropped_by_kernel"] == 0);
  REQUIRE(j["files"].size() == 1);
  CHECK(j["files"][0]["packets"] == 10);
  CHECK(j["files"][0]["path"] == file);
  check_readable(file, 10);
  check_hashed(file);
  auto info = run({"capinfos", file});
  CHECK(info.out.find("case IT-1") != std::string::npos);
}

TEST_CASE("ir-capture --network: the custom-named bridge of an internal network") {
  REQUIRE(engine_available());
  const std::string bridge = "cb" + testbed().prefix().substr(3);  // <= 15 bytes, unique
  pair_on_internal s({"-o", "com.docker.network.bridge.name=" + bridge});
  scratch dir;
  const auto file = dir / "net.pcapng";
  int rc = capture_around(dir,
                          {"--network", s.net, "--peer", s.a_ip, "--filter", "icmp", "--duration",
                           "3", "--write", file, "--json"},
                          s.ping_from_b(4));
  REQUIRE_MESSAGE(rc == 0, file_text(dir / "err.txt"));
  const auto j = json::parse(file_text(dir / "out.txt"));
  REQUIRE(j["interfaces"].size() == 1);
  CHECK(j["interfaces"][0]["name"] == bridge);
  CHECK(j["interfaces"][0]["captured"] == 8);
  CHECK(j["interfaces"][0]["received"] == 8);
  CHECK(j["filter"] == "(host " + s.a_ip + ") and (icmp)");
  check_readable(file, 8);
  check_hashed(file);
}

TEST_CASE("ir-capture on several interfaces: one pcapng keeps every interface's name") {
  REQUIRE(engine_available());
  pair_on_internal s;
  scratch dir;
  const auto file = dir / "multi.pcapng";
  int rc = capture_around(dir,
                          {"--container", s.a, "--container", s.b, "--network", s.net, "--filter",
                           "icmp", "--duration", "3", "--write", file, "--json"},
                          s.ping_from_b(3));
  REQUIRE_MESSAGE(rc == 0, file_text(dir / "err.txt"));
  const auto j = json::parse(file_text(dir / "out.txt"));
  REQUIRE(j["interfaces"].size() == 3);
  std::set<std::string> expected;
  int total = 0;
  for (const auto& i : j["interfaces"]) {
    expected.insert(i["name"].get<std::string>());
    CHECK(i["captured"] == 6);  // every ping crosses a's veth, b's veth and the bridge
    CHECK(i["received"] == i["captured"]);
    total += i["captured"].get<int>();
  }
  CHECK(j["packets"] == total);
  auto names = run({"tshark", "-n", "-r", file, "-T", "fields", "-e", "frame.interface_name"});
  REQUIRE(names.exit_code == 0);
  std::set<std::string> seen;
  std::istringstream in(names.out);
  for (std::string line; std::getline(in, line);) seen.insert(line);
  CHECK(seen == expected);
  auto info = run({"capinfos", file});
  CHECK(info.out.find("Number of interfaces in file: 3") != std::string::npos);
  CHECK(info.out.find("host veth of container " + s.a) != std::string::npos);
  check_readable(file, total);
  check_hashed(file);
}

TEST_CASE("ir-capture: Ctrl-C and SIGTERM leave a valid, hashed file and exit 0") {
  REQUIRE(engine_available());
  pair_on_internal s;
  for (const std::string signal : {"INT", "TERM"}) {
    scratch dir;
    const auto file = dir / "stop.pcapng";
    int rc = capture_around(dir, {"--container", s.b, "--filter", "icmp", "--write", file},
                            s.ping_from_b(3), signal);
    CHECK_MESSAGE(rc == 0, file_text(dir / "err.txt"));
    const auto out = file_text(dir / "out.txt");
    CHECK(out.find("stopped: interrupted") != std::string::npos);
    CHECK(out.find("DROPPED(KERNEL)") != std::string::npos);
    check_readable(file, 6);
    check_hashed(file);
  }
}

TEST_CASE("ir-capture --count and --pcap: stops by itself, plain pcap read by tcpdump") {
  REQUIRE(engine_available());
  pair_on_internal s;
  scratch dir;
  const auto file = dir / "count.pcap";
  int rc = capture_around(
      dir,
      {"--container", s.b, "--filter", "icmp", "--count", "4", "--pcap", "--write", file, "--json"},
      s.ping_from_b(4));
  REQUIRE_MESSAGE(rc == 0, file_text(dir / "err.txt"));
  const auto j = json::parse(file_text(dir / "out.txt"));
  CHECK(j["stop_reason"] == "packet_count");
  CHECK(j["packets"] == 4);
  auto kind = run({"capinfos", "-t", file});
  CHECK(kind.out.find("pcap") != std::string::npos);
  CHECK(kind.out.find("pcapng") == std::string::npos);
  check_readable(file, 4);
  check_hashed(file);
}

TEST_CASE("ir-capture refuses clearly: unknown targets, bad filter, existing file, mixed pcap") {
  REQUIRE(engine_available());
  scratch dir;
  auto r = run_tool("ir-capture", {"--interface", "nosuchif0", "--write", dir / "x.pcapng"});
  CHECK(r.exit_code == 5);
  CHECK(r.err.find("nosuchif0") != std::string::npos);
  r = run_tool("ir-capture", {"--network", "no-such-network-xyz", "--write", dir / "x.pcapng"});
  CHECK(r.exit_code == 5);
  r = run_tool("ir-capture", {"--container", "no-such-container-xyz"});
  CHECK(r.exit_code == 5);
  r = run_tool("ir-capture",
               {"--interface", "lo", "--filter", "host and", "--write", dir / "x.pcapng"});
  CHECK(r.exit_code == 2);
  r = run_tool("ir-capture", {"--interface", "lo", "--peer", "198.51.100.4 or port 22"});
  CHECK(r.exit_code == 2);
  run({"touch", dir / "old.pcapng"});
  r = run_tool("ir-capture", {"--interface", "lo", "--count", "1", "--write", dir / "old.pcapng"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("refusing to overwrite") != std::string::npos);
  r = run_tool("ir-capture",
               {"--interface", "lo", "--interface", "any", "--pcap", "--write", dir / "m.pcap"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("one link type") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "m.pcap.partial"));
  r = run_tool("ir-capture", {"--duration", "1"});
  CHECK(r.exit_code == 2);
}

namespace {

// ir-capture in the background while the test changes the host (creates networks, restarts
// containers): started, waited for until it says it captures, and waited for to end by itself.
struct background_capture {
  const scratch& dir;
  background_capture(const scratch& d, const std::vector<std::string>& args) : dir(d) {
    std::string cmd = quote(tool("ir-capture"));
    for (const auto& a : args) cmd += " " + quote(a);
    auto r = sh("(" + cmd + " >" + dir / "out.txt" + " 2>" + dir / "err.txt" + "; echo $? >" +
                dir / "rc.txt" + ") >/dev/null 2>&1 &\n" + "for i in $(seq 100); do grep -q " +
                "'capturing on' " + dir / "err.txt" + " && break; test -s " + dir / "rc.txt" +
                " && break; sleep 0.1; done");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  }
  int wait() const {
    auto r = sh("for i in $(seq 300); do test -s " + dir / "rc.txt" +
                " && break; sleep 0.1; done; " + "cat " + dir / "rc.txt");
    REQUIRE_MESSAGE(!r.out.empty(), "ir-capture did not end");
    return std::stoi(r.out);
  }
};

std::string bridge_of(const testbed& bed, const std::string& network) {
  auto id = bed.docker({"network", "inspect", "-f", "{{.Id}}", network});
  return "br-" + id.substr(0, 12);
}

// tshark's interface name of every packet, counted.
std::map<std::string, int> packets_per_interface(const std::string& file) {
  auto names = run({"tshark", "-n", "-r", file, "-T", "fields", "-e", "frame.interface_name"});
  REQUIRE(names.exit_code == 0);
  std::map<std::string, int> out;
  std::istringstream in(names.out);
  for (std::string line; std::getline(in, line);) ++out[line];
  return out;
}

}  // namespace

TEST_CASE("ir-capture --all-bridges follows a network and containers created during the capture") {
  REQUIRE(engine_available());
  testbed bed;
  scratch dir;
  const auto file = dir / "follow.pcapng";
  background_capture capture(
      dir, {"--all-bridges", "--filter", "icmp", "--duration", "10", "--write", file, "--json"});
  // Created after the capture started: a snapshot of the bridges would miss all of this.
  const auto net = bed.network("late", {"--internal"});
  const auto a = bed.container("la", {"--network", net});
  const auto b = bed.container("lb", {"--network", net});
  const auto a_ip = ip_of(bed, a, net);
  // The follower adds a new link within a second or so of its appearing (docs/json-capture.md:
  // what it carried before is not in the file): the pings start after that, and the counts
  // below are compared with each other rather than with a fixed number.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto ping = run({"docker", "exec", b, "ping", "-c", "6", "-i", "0.2", a_ip});
  REQUIRE_MESSAGE(ping.exit_code == 0, ping.err);
  REQUIRE_MESSAGE(capture.wait() == 0, file_text(dir / "err.txt"));
  const auto j = json::parse(file_text(dir / "out.txt"));
  CHECK(j["following"] == true);
  const std::string bridge = bridge_of(bed, net);
  json joined;
  for (const auto& i : j["interfaces"]) {
    if (i["name"] == bridge) joined = i;
  }
  REQUIRE_MESSAGE(joined.is_object(), std::string("the new bridge did not join: " + j.dump()));
  CHECK(joined["joined"].get<std::string>() > j["started"].get<std::string>());
  CHECK(joined["left"].is_null());
  CHECK(joined["socket"] == "shared");
  // Requests and replies forwarded by the new bridge: at least one pair, at most the 12 sent.
  const int captured = joined["captured"].get<int>();
  CHECK(captured >= 2);
  CHECK(captured <= 12);
  CHECK(joined["description"].get<std::string>().find(net) != std::string::npos);
  const auto seen = packets_per_interface(file);
  CHECK(seen.count(bridge) == 1);
  if (seen.count(bridge)) CHECK(seen.at(bridge) == captured);
  check_readable(file, j["packets"].get<int>());
  check_hashed(file);
  auto td = run({"tcpdump", "-nn", "-r", file, "host", a_ip});
  CHECK(lines_of(td) == captured);
}

TEST_CASE("ir-capture --container follows the container through a restart (new veth)") {
  REQUIRE(engine_available());
  pair_on_internal s;
  scratch dir;
  const auto file = dir / "restart.pcapng";
  background_capture capture(
      dir, {"--container", s.b, "--filter", "icmp", "--duration", "9", "--write", file, "--json"});
  REQUIRE(sh(s.ping_from_b(2)).exit_code == 0);
  s.bed.docker({"restart", "-t", "0", s.b});
  // The follower asks the engine again 0.3, 1, 2.5 and 5 s after the new veth appears.
  REQUIRE(sh("sleep 2; " + s.ping_from_b(3)).exit_code == 0);
  REQUIRE_MESSAGE(capture.wait() == 0, file_text(dir / "err.txt"));
  const auto j = json::parse(file_text(dir / "out.txt"));
  CHECK(j["stop_reason"] == "duration");
  REQUIRE(j["interfaces"].size() == 2);
  const auto& before = j["interfaces"][0];
  const auto& after = j["interfaces"][1];
  CHECK(before["vanished"] == true);
  CHECK(before["left"].is_string());
  CHECK(before["captured"] == 4);
  CHECK(after["left"].is_null());
  CHECK(after["joined"].get<std::string>() > before["left"].get<std::string>());
  CHECK(after["captured"] == 6);
  CHECK(after["description"].get<std::string>().find(s.b) != std::string::npos);
  CHECK(j["not_added"].empty());
  check_readable(file, 10);
  check_hashed(file);
  auto info = run({"capinfos", file});
  CHECK(info.out.find("Number of interfaces in file: 2") != std::string::npos);
}

TEST_CASE("capture_session following: what cannot be added is noted once, nothing is added twice") {
  REQUIRE(engine_available());
  pair_on_internal s;
  const std::string bridge = bridge_of(s.bed, s.net);
  forensic::capture::capture_options o;
  o.interfaces = {{bridge, "bridge of the test network"}};
  o.bpf_filter = "icmp";
  o.duration = std::chrono::milliseconds(2800);
  auto calls = std::make_shared<std::atomic<int>>(0);
  o.follow = [calls, bridge] {
    ++*calls;
    return std::vector<forensic::capture::capture_interface>{{bridge, "the same bridge again"},
                                                             {"nosuchif0", "never there"}};
  };
  std::atomic<int> packets{0};
  o.on_packet = [&packets](const forensic::capture::packet_view& p) {
    CHECK(p.interface_index == 0);
    ++packets;
  };
  forensic::capture::capture_session session(o);
  session.start();
  REQUIRE(sh(s.ping_from_b(3)).exit_code == 0);
  const auto r = session.wait();
  CHECK(*calls >= 2);  // at start (links that appeared before the subscription), then again
  CHECK(r.following);
  REQUIRE(r.interfaces.size() == 1);
  CHECK(r.interfaces[0].shared_socket);
  CHECK(r.interfaces[0].captured == 6);
  CHECK(packets == 6);
  REQUIRE(r.shared_socket.has_value());
  CHECK(r.shared_socket->dropped_by_kernel == 0);
  REQUIRE(r.not_added.size() == 1);
  CHECK(r.not_added[0].name == "nosuchif0");
  CHECK(r.not_added[0].reason == "it went away before it could be added");
}
