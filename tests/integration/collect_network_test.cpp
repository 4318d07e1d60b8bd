// ir-collect's network artifact against the real engine: a container beaconing through NAT
// (a user-defined bridge network, masqueraded) to an "internet" peer held by a network namespace
// of this test at a documentation address (tests/testbed/internet-peer.sh: route checked, DROP
// rules for the range on every other interface), with a published port served by docker-proxy.
// network/network.json must name the socket with its process and the conntrack flow with both
// tuples, the reply tuple's destination port being the port the peer saw.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/testbed.hpp"

namespace fs = std::filesystem;
using namespace forensic::testing;
using nlohmann::json;

namespace {

constexpr const char* peer_address = "198.51.100.40";
constexpr const char* peer_host_side = "198.51.100.1";  // the host end of the peer's veth
constexpr int peer_port = 8443;

std::string peer_script() {
  return std::string(FORENSIC_SOURCE_DIR) + "/tests/testbed/internet-peer.sh";
}

struct internet_peer {
  std::string name = "ircn" + std::to_string(::getpid() % 100000);
  internet_peer() {
    auto up = run({"bash", peer_script(), "up", name, peer_address});
    INFO(up.err);
    REQUIRE(up.exit_code == 0);
    sh("ip netns exec " + name + " busybox nc -ll -p " + std::to_string(peer_port) +
       " -e /bin/cat </dev/null >/dev/null 2>&1 &");
  }
  ~internet_peer() {
    sh("ip netns pids " + name + " 2>/dev/null | xargs -r kill -9");
    run({"bash", peer_script(), "down", name});
  }
  internet_peer(const internet_peer&) = delete;
  internet_peer& operator=(const internet_peer&) = delete;

  // The source ports of the established connections the peer holds on peer_port: what an IDS
  // in front of the peer logged (after the host masqueraded them).
  std::vector<int> seen_source_ports() const {
    // busybox nc listens on an IPv6 socket: IPv4 peers show in tcp6, v4-mapped.
    auto r = sh("ip netns exec " + name + " cat /proc/net/tcp /proc/net/tcp6");
    char local_port[8];
    std::snprintf(local_port, sizeof local_port, ":%04X", peer_port);
    std::vector<int> ports;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      std::istringstream row(line);
      std::string slot, local, remote, state;
      row >> slot >> local >> remote >> state;
      if (state != "01" || !local.ends_with(local_port)) continue;
      ports.push_back(std::stoi(remote.substr(remote.find(':') + 1), nullptr, 16));
    }
    return ports;
  }
};

}  // namespace

TEST_CASE(
    "collect: network.json of a container beaconing through NAT has its socket, both "
    "conntrack tuples, its rules and its published port" *
    doctest::timeout(180)) {
  REQUIRE(engine_available());
  REQUIRE(::geteuid() == 0);
  testbed bed;
  internet_peer peer;
  const std::string net = bed.network("nat");  // not internal: leaves masqueraded
  const int published = free_loopback_port();
  const std::string name = bed.container(
      "beacon", {"--network", net, "-p", "127.0.0.1:" + std::to_string(published) + ":8080"},
      {"sh", "-c",
       std::string("sleep 100000 | nc ") + peer_address + " " + std::to_string(peer_port)});
  const std::string id = trim(bed.docker({"inspect", "-f", "{{.Id}}", name}));
  const std::string address = trim(bed.docker(
      {"inspect", "-f", "{{(index .NetworkSettings.Networks \"" + net + "\").IPAddress}}", name}));
  std::vector<int> seen;
  wait_for([&] { return !(seen = peer.seen_source_ports()).empty(); },
           "the beacon's connection to the peer", 20);
  REQUIRE(seen.size() == 1);

  temp_dir out;
  auto r = run_tool("ir-collect", {name, "--out", out.path.string(), "--case", "IT-NET",
                                   "--artifacts", "inspect,network", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto result = json::parse(r.out);
  CHECK(result["failures"].empty());
  CHECK(result["not_collected"].empty());
  const fs::path bundle = result["bundle"].get<std::string>();
  const auto doc = json::parse(slurp(bundle / "network/network.json"));
  INFO(doc.dump(1));
  CHECK(doc["container_id"] == id);
  CHECK(doc["addresses"].dump().find("\"" + address + "\"") != std::string::npos);
  for (const char* part :
       {"interfaces", "bridges", "sockets", "conntrack", "iptables", "ip6tables", "ports"}) {
    CAPTURE(part);
    REQUIRE(doc[part].is_object());
    CHECK(doc[part]["collected"] == true);
    CHECK(doc[part]["items"].is_array());
  }

  // The socket, named by its process (host pid, pid inside the container, comm, argv, exe).
  const json* socket = nullptr;
  for (const auto& s : doc["sockets"]["items"]) {
    if (s["remote_address"] == peer_address && s["remote_port"] == peer_port &&
        s["state"] == "ESTABLISHED") {
      socket = &s;
    }
  }
  REQUIRE(socket != nullptr);
  CHECK((*socket)["local_address"] == address);
  CHECK((*socket)["comm"] == "nc");
  CHECK((*socket)["pid"].get<int>() > 0);
  CHECK((*socket)["ns_pid"].get<int>() > 0);
  CHECK((*socket)["ns_pid"] != (*socket)["pid"]);  // its own pid namespace
  CHECK((*socket)["cmdline"] == json({"nc", peer_address, std::to_string(peer_port)}));
  CHECK_FALSE((*socket)["exe"].get<std::string>().empty());
  CHECK(slurp("/proc/" + std::to_string((*socket)["pid"].get<int>()) + "/cgroup").find(id) !=
        std::string::npos);

  // The flow, both tuples: the original is the container's, the reply goes to the host's
  // address and the port the peer saw.
  const json* flow = nullptr;
  for (const auto& f : doc["conntrack"]["items"]) {
    if (f["protocol"] == "tcp" && f["src"] == address && f["dst"] == peer_address &&
        f["dport"] == peer_port && f["sport"] == (*socket)["local_port"]) {
      flow = &f;
    }
  }
  REQUIRE(flow != nullptr);
  CHECK((*flow)["reply_src"] == peer_address);
  CHECK((*flow)["reply_sport"] == peer_port);
  CHECK((*flow)["reply_dst"] == peer_host_side);  // masqueraded
  CHECK((*flow)["reply_dport"] == seen.front());
  CHECK((*flow)["nat"] == true);
  CHECK((*flow)["state"] == "ESTABLISHED");

  // Rules: Docker's MASQUERADE of its subnet, and the DNAT of its published port, each parsed
  // and with its raw line.
  bool masquerade = false, dnat = false;
  for (const auto& rule : doc["iptables"]["items"]) {
    CHECK(rule["raw"].get<std::string>().starts_with("-A " + rule["chain"].get<std::string>()));
    CHECK((rule["table"] == "nat" || rule["table"] == "filter"));
    if (rule["table"] == "nat" && rule["target"] == "MASQUERADE") masquerade = true;
    if (rule["table"] == "nat" && rule["target"] == "DNAT" &&
        rule["dport"] == std::to_string(published) && rule["to_destination"] == address + ":8080") {
      dnat = true;
    }
  }
  CHECK(masquerade);
  CHECK(dnat);

  // The published port and the docker-proxy serving it (when the daemon runs one).
  REQUIRE(doc["ports"]["items"].size() == 1);
  const auto& port = doc["ports"]["items"][0];
  CHECK(port["host_port"] == published);
  CHECK(port["container_port"] == 8080);
  CHECK(port["host_ip"] == "127.0.0.1");
  const bool userland_proxy =
      sh("pgrep -f 'docker-proxy.*-host-port " + std::to_string(published) + "'").exit_code == 0;
  if (userland_proxy) {
    REQUIRE(port["docker_proxy"].size() == 1);
    CHECK(port["docker_proxy"][0]["pid"].get<int>() > 0);
    CHECK(port["docker_proxy"][0]["container_ip"] == address);
    CHECK(port["docker_proxy"][0]["cmdline"].dump().find(std::to_string(published)) !=
          std::string::npos);
  } else {
    CHECK(port["docker_proxy"].empty());
  }

  // ir-analyze reads the new shape: the socket and the flow give their findings.
  auto a = run_tool("ir-analyze", {bundle.string(), "--json"});
  INFO(a.err);
  REQUIRE(a.exit_code <= 1);
  const auto report = json::parse(a.out);
  bool remote_socket = false;
  for (const auto& f : report["findings"]) {
    if (f["kind"] == "remote_socket" &&
        f["summary"].get<std::string>().find(peer_address) != std::string::npos) {
      remote_socket = true;
    }
  }
  CHECK(remote_socket);
  CHECK(report["conntrack"].size() >= 1);
}
