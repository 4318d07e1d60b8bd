// ir-locate and ir-netmap against the real engine: a container keeping a TCP connection open
// to an "internet" peer (a netns of this test holding a documentation address, see
// tests/testbed/internet-peer.sh), another sending DNS queries nobody answers, decoys that
// must not be named; then the link map of a container on two networks (one internal, with a
// custom bridge name), a --network container: sharer, a --network host one and a stopped one.
// No SUBCASEs: each would re-run the whole (slow) scenario set-up.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "support/process.hpp"
#include "support/testbed.hpp"

using namespace forensic::testing;
using nlohmann::json;

namespace {

constexpr const char* peer_address = "198.51.100.20";  // the peer netns, listening on 8443
constexpr const char* silent_dns = "198.51.100.21";    // on the peer's link, nobody answers
constexpr const char* nobody = "198.51.100.29";        // nothing holds or talks to it

std::string peer_script() {
  return std::string(FORENSIC_SOURCE_DIR) + "/tests/testbed/internet-peer.sh";
}

// The peer namespace and a listener that keeps every connection open; removed (with every
// process left in the namespace) even when the test fails.
struct internet_peer {
  std::string name = "irnet" + std::to_string(::getpid() % 100000);
  internet_peer() {
    auto up = run({"bash", peer_script(), "up", name, peer_address});
    INFO(up.err);
    REQUIRE(up.exit_code == 0);
    sh("ip netns exec " + name +
       " busybox nc -ll -p 8443 -e /bin/cat </dev/null >/dev/null 2>&1 &");
  }
  ~internet_peer() {
    sh("ip netns pids " + name + " 2>/dev/null | xargs -r kill -9");
    run({"bash", peer_script(), "down", name});
  }
  internet_peer(const internet_peer&) = delete;
  internet_peer& operator=(const internet_peer&) = delete;
};

json locate_json(const std::vector<std::string>& extra, int& exit_code) {
  std::vector<std::string> args{"--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = run_tool("ir-locate", args);
  exit_code = r.exit_code;
  return json::parse(r.out, nullptr, false);
}

const json* find_match(const json& result, const std::string& container, const std::string& kind) {
  if (!result.is_object() || !result.contains("matches")) return nullptr;
  for (const auto& m : result["matches"]) {
    if (m.value("container_name", "") == container && m.value("kind", "") == kind) return &m;
  }
  return nullptr;
}

bool names(const json& result, const std::string& container, const std::string& kind) {
  return find_match(result, container, kind) != nullptr;
}

bool mentions(const json& result, const std::string& container) {
  return result.dump().find(container) != std::string::npos;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string address_on(const testbed& bed, const std::string& container, const std::string& net) {
  return first_line(
      bed.docker({"inspect", "-f",
                  "{{(index .NetworkSettings.Networks \"" + net + "\").IPAddress}}", container}));
}

const json* container_entry(const json& map, const std::string& name) {
  for (const auto& c : map["containers"]) {
    if (c["name"] == name) return &c;
  }
  return nullptr;
}

const json* interface_on(const json& entry, const std::string& network) {
  for (const auto& i : entry["interfaces"]) {
    if (i["network"] == network) return &i;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("ir-locate: a bad address is one clear line and exit 2") {
  auto bad = run_tool("ir-locate", {"--ip", "not-an-address"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.out.empty());
  CHECK(bad.err == "ir-locate: 'not-an-address' is not an IPv4 or IPv6 address\n");
  auto port = run_tool("ir-locate", {"--ip", peer_address, "--port", "70000"});
  CHECK(port.exit_code == 2);
}

TEST_CASE("ir-locate names the container and process talking to an internet address" *
          doctest::timeout(120)) {
  REQUIRE(engine_available());
  // The peer outlives the containers (destroyed in reverse order): once its veth and DROP
  // rules are gone, a container still sending to its range would use the default route.
  internet_peer peer;
  testbed bed;
  const std::string net = bed.network("out");  // not internal: traffic leaves masqueraded
  const std::string talker =
      bed.container("talker", {"--network", net},
                    {"sh", "-c", std::string("sleep 3600 | nc ") + peer_address + " 8443"});
  const std::string dns = bed.container("dns", {"--network", net},
                                        {"sh", "-c",
                                         std::string("while :; do nslookup irtest.invalid ") +
                                             silent_dns + " >/dev/null 2>&1 & sleep 1; done"});
  const std::string decoy = bed.container("decoy", {"--network", net});

  // The connection and the first query need a moment.
  json tcp, udp;
  int rc_tcp = -1, rc_udp = -1;
  for (int i = 0; i < 30; ++i) {
    tcp = locate_json({"--ip", peer_address}, rc_tcp);
    udp = locate_json({"--ip", silent_dns}, rc_udp);
    if (names(tcp, talker, "socket") && names(tcp, talker, "conntrack") &&
        names(udp, dns, "conntrack")) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  INFO("tcp: " << tcp.dump(1));
  INFO("udp: " << udp.dump(1));
  CHECK(rc_tcp == 0);
  CHECK(rc_udp == 0);
  CHECK(tcp["schema"] == "forensic.locate/1");
  CHECK(tcp["found"] == true);
  CHECK(tcp["elapsed_ms"].get<double>() < 1000);

  // The TCP talker: its socket named by its process, and the masqueraded conntrack flow.
  const json* sock = find_match(tcp, talker, "socket");
  REQUIRE(sock != nullptr);
  const json& s = (*sock)["socket"];
  CHECK((*sock)["container_id"].get<std::string>().size() == 64);
  CHECK(s["protocol"] == "tcp");
  CHECK(s["comm"] == "nc");
  CHECK(s["cmdline"] == json::array({"nc", peer_address, "8443"}));
  CHECK(s["exe"].get<std::string>().find("busybox") != std::string::npos);
  CHECK(s["remote_address"] == peer_address);
  CHECK(s["remote_port"] == 8443);
  CHECK(s["state"] == "ESTABLISHED");
  CHECK(s["pid"].get<int>() > 1);
  CHECK(s["ns_pid"].get<int>() > 0);
  CHECK(s["ns_pid"].get<int>() != s["pid"].get<int>());
  const std::string talker_ip = address_on(bed, talker, net);
  CHECK(s["local_address"] == talker_ip);

  const json* flow = find_match(tcp, talker, "conntrack");
  REQUIRE(flow != nullptr);
  const json& f = (*flow)["flow"];
  CHECK(f["protocol"] == "tcp");
  CHECK(f["src"] == talker_ip);
  CHECK(f["dst"] == peer_address);
  CHECK(f["dport"] == 8443);
  CHECK(f["nat"] == true);
  CHECK(f["reply_dst"] != talker_ip);  // seen outside as the host's address
  CHECK((*flow)["network"] == net);
  CHECK((*flow)["socket"].is_object());  // the flow is tied to the live socket
  CHECK_FALSE(mentions(tcp, decoy));
  CHECK_FALSE(mentions(tcp, dns));

  // The DNS beacon: UNREPLIED UDP flows to port 53, nobody else.
  const json* beacon = find_match(udp, dns, "conntrack");
  REQUIRE(beacon != nullptr);
  bool unreplied = false;
  for (const auto& m : udp["matches"]) {
    if (m["kind"] != "conntrack") continue;
    CHECK(m["container_name"] == dns);
    CHECK(m["flow"]["protocol"] == "udp");
    CHECK(m["flow"]["dport"] == 53);
    unreplied = unreplied || m["flow"]["unreplied"] == true;
  }
  CHECK(unreplied);
  CHECK_FALSE(mentions(udp, decoy));
  CHECK_FALSE(mentions(udp, talker));

  int rc = -1;
  // --port narrows to the remote port.
  auto port = locate_json({"--ip", peer_address, "--port", "8443"}, rc);
  CHECK(rc == 0);
  CHECK(names(port, talker, "socket"));
  locate_json({"--ip", peer_address, "--port", "8444"}, rc);
  CHECK(rc == 1);
  locate_json({"--ip", silent_dns, "--port", "54"}, rc);
  CHECK(rc == 1);

  // --nat-port: the IDS saw HOST:N -> ADDR; conntrack maps N back to the container.
  const int nat_port = f["reply_dport"].get<int>();
  REQUIRE(nat_port > 0);
  auto nat = locate_json({"--ip", peer_address, "--nat-port", std::to_string(nat_port)}, rc);
  CHECK(rc == 0);
  const json* natted = find_match(nat, talker, "conntrack");
  REQUIRE(natted != nullptr);
  CHECK((*natted)["container_address"] == talker_ip);
  CHECK((*natted)["flow"]["sport"] == s["local_port"]);
  const int other_port = nat_port == 65535 ? 1 : nat_port + 1;
  auto no_nat = locate_json({"--ip", peer_address, "--nat-port", std::to_string(other_port)}, rc);
  CHECK_FALSE(names(no_nat, talker, "conntrack"));

  // The owner of a container address; nothing for an address nobody uses.
  const std::string decoy_ip = address_on(bed, decoy, net);
  auto owner = locate_json({"--ip", decoy_ip}, rc);
  CHECK(rc == 0);
  const json* own = find_match(owner, decoy, "owner");
  REQUIRE(own != nullptr);
  CHECK((*own)["network"] == net);
  CHECK_FALSE(mentions(owner, talker));
  // Asked about the beacon's own address: it owns it, and the flows it opened are its own.
  auto own_flows = locate_json({"--ip", address_on(bed, dns, net)}, rc);
  CHECK(rc == 0);
  CHECK(names(own_flows, dns, "owner"));
  CHECK(names(own_flows, dns, "conntrack"));
  auto none = locate_json({"--ip", nobody}, rc);
  CHECK(rc == 1);
  CHECK(none["found"] == false);
  CHECK(none["matches"].empty());
  auto text = run_tool("ir-locate", {"--ip", nobody});
  CHECK(text.exit_code == 1);
  CHECK(text.out.find("not found") != std::string::npos);

  // The human output names the process too.
  auto human = run_tool("ir-locate", {"--ip", peer_address});
  CHECK(human.exit_code == 0);
  CHECK(human.out.find(talker) != std::string::npos);
  CHECK(human.out.find("comm nc") != std::string::npos);

  // Engine unreachable: found from namespaces and conntrack, names said to be unknown.
  auto down = locate_json({"--host", "unix:///nonexistent/docker.sock", "--ip", decoy_ip}, rc);
  INFO("engine down: " << down.dump(1));
  CHECK(rc == 0);
  CHECK(down["engine_available"] == false);
  bool unknown_owner = false;
  for (const auto& m : down["matches"]) {
    if (m["kind"] == "owner" && m["name_known"] == false &&
        m["container_id"].get<std::string>().size() == 64) {
      unknown_owner = true;
    }
  }
  CHECK(unknown_owner);

  // --capture: the beacon's packets seen on a bridge or veth within a few seconds.
  auto cap = locate_json({"--ip", silent_dns, "--capture", "3"}, rc);
  INFO("capture: " << cap.dump(1));
  CHECK(rc == 0);
  bool packets = false;
  for (const auto& m : cap["matches"]) {
    if (m["kind"] == "packet" && m["packets"].get<int>() > 0) packets = true;
  }
  CHECK(packets);
}

TEST_CASE("ir-netmap: veths, bridges and networks, container: and host modes, stopped" *
          doctest::timeout(120)) {
  REQUIRE(engine_available());
  testbed bed;
  const std::string front = bed.network("front", {"--internal"});
  const std::string bridge_name = "irnb" + std::to_string(::getpid() % 100000);
  const std::string back =
      bed.network("back", {"--internal", "-o", "com.docker.network.bridge.name=" + bridge_name});
  const std::string multi = bed.container("multi", {"--network", front});
  bed.docker({"network", "connect", back, multi});
  const std::string sharer = bed.container("sharer", {"--network", "container:" + multi});
  const std::string hostnet = bed.container("hostnet", {"--network", "host"});
  const std::string stopped = bed.prefix() + "-stopped";
  bed.docker({"create", "--label", bed.label(), "--name", stopped, "--network", front, test_image,
              "sleep", "3600"});

  auto r = run_tool("ir-netmap", {"--json"});
  REQUIRE(r.exit_code == 0);
  const json map = json::parse(r.out);
  INFO(map.dump(1));
  CHECK(map["schema"] == "forensic.netmap/1");
  CHECK(map["engine_available"] == true);

  const json* m = container_entry(map, multi);
  REQUIRE(m != nullptr);
  CHECK((*m)["network_mode"] == "private");
  CHECK((*m)["pid"].get<int>() > 0);
  CHECK((*m)["netns_inode"].get<std::uint64_t>() > 0);
  REQUIRE((*m)["interfaces"].size() == 2);
  const json* on_front = interface_on(*m, front);
  const json* on_back = interface_on(*m, back);
  REQUIRE(on_front != nullptr);
  REQUIRE(on_back != nullptr);
  CHECK((*on_back)["bridge"] == bridge_name);
  const std::string front_id =
      first_line(bed.docker({"network", "inspect", "-f", "{{.Id}}", front}));
  CHECK((*on_front)["bridge"] == "br-" + front_id.substr(0, 12));
  CHECK((*on_front)["network_id"] == front_id);
  CHECK((*on_front)["name"] != (*on_back)["name"]);

  // Each interface: the MAC and address the engine gave it, and the host veth `ip` says is
  // enslaved to that interface's bridge.
  for (const auto& [iface, net] : {std::pair{on_front, front}, std::pair{on_back, back}}) {
    const std::string mac = first_line(
        bed.docker({"inspect", "-f",
                    "{{(index .NetworkSettings.Networks \"" + net + "\").MacAddress}}", multi}));
    CHECK((*iface)["mac"] == mac);
    bool has_address = false;
    for (const auto& a : (*iface)["addresses"]) {
      has_address = has_address || a["address"] == address_on(bed, multi, net);
    }
    CHECK(has_address);
    REQUIRE((*iface)["host_veth"].is_object());
    const std::string veth = (*iface)["host_veth"]["name"];
    auto ip = run({"ip", "-o", "link", "show", "master", (*iface)["bridge"].get<std::string>()});
    CHECK(ip.out.find(" " + veth + "@") != std::string::npos);
    // The veth's peer is this interface inside.
    CHECK((*iface)["host_veth"]["peer_ifindex"] == (*iface)["ifindex"]);
  }

  // The custom-named bridge is listed with its network and engine subnet.
  bool bridge_listed = false;
  for (const auto& b : map["bridges"]) {
    if (b["name"] != bridge_name) continue;
    bridge_listed = true;
    CHECK(b["network"] == back);
    CHECK(b["internal"] == true);
    CHECK_FALSE(b["engine_subnets"].empty());
    CHECK(b["ports"].size() == 1);
  }
  CHECK(bridge_listed);

  const json* s = container_entry(map, sharer);
  REQUIRE(s != nullptr);
  CHECK((*s)["shares_namespace_with"] == (*m)["id"]);
  CHECK((*s)["network_mode"] == "container:" + (*m)["id"].get<std::string>());
  CHECK((*s)["netns_inode"] == (*m)["netns_inode"]);

  const json* h = container_entry(map, hostnet);
  REQUIRE(h != nullptr);
  CHECK((*h)["network_mode"] == "host");
  CHECK((*h)["interfaces"].empty());

  const json* st = container_entry(map, stopped);
  REQUIRE(st != nullptr);
  CHECK((*st)["network_mode"] == "stopped");
  CHECK((*st)["pid"] == 0);
  CHECK((*st)["interfaces"].empty());

  // The text form says the same in its table.
  auto text = run_tool("ir-netmap", {});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find(bridge_name) != std::string::npos);
  CHECK(text.out.find("none: --network host") != std::string::npos);
}

namespace {

constexpr const char* far_peer = "198.51.100.40";  // a second peer, for the NAT cases

// The peer namespace for far_peer, with a listener keeping connections open on 8443.
struct far_internet_peer {
  std::string name = "irloc" + std::to_string(::getpid() % 100000);
  far_internet_peer() {
    auto up = run({"bash", peer_script(), "up", name, far_peer});
    INFO(up.err);
    REQUIRE(up.exit_code == 0);
    sh("ip netns exec " + name +
       " busybox nc -ll -p 8443 -e /bin/cat </dev/null >/dev/null 2>&1 &");
  }
  ~far_internet_peer() {
    sh("ip netns pids " + name + " 2>/dev/null | xargs -r kill -9");
    run({"bash", peer_script(), "down", name});
  }
  far_internet_peer(const far_internet_peer&) = delete;
  far_internet_peer& operator=(const far_internet_peer&) = delete;
};

std::vector<const json*> of_kind(const json& result, const std::string& kind) {
  std::vector<const json*> out;
  if (!result.is_object() || !result.contains("matches")) return out;
  for (const auto& m : result["matches"]) {
    if (m.value("kind", "") == kind) out.push_back(&m);
  }
  return out;
}

bool shares_with(const json& match, const std::string& name) {
  for (const auto& c : match["shares_namespace"]) {
    if (c.value("name", "") == name) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("ir-locate: the host's own addresses, NAT and docker-proxy undone, filters, groups" *
          doctest::timeout(180)) {
  REQUIRE(engine_available());
  // The peer outlives the containers (see above): nothing is ever sent by the default route.
  far_internet_peer peer;
  testbed bed;
  const std::string net = bed.network("nat");  // not internal: traffic leaves masqueraded
  // A TCP connection held open to the peer, and pings one at a time (each its own flow).
  const std::string talker = bed.container(
      "talker", {"--network", net},
      {"sh", "-c",
       std::string("(sleep 3600 | nc ") + far_peer + " 8443) & while :; do ping -c 1 -W 1 " +
           far_peer + " >/dev/null 2>&1; sleep 0.3; done"});
  // Joined to the talker's network namespace: named with it, never instead of it.
  const std::string sharer = bed.container("sharer", {"--network", "container:" + talker});
  // A host-network container listening on every host address.
  const int host_port = free_loopback_port();
  const std::string hostnet =
      bed.container("hostnet", {"--network", "host"},
                    {"sh", "-c", "nc -ll -p " + std::to_string(host_port) + " -e /bin/cat"});
  // Published on loopback only, through docker-proxy; a host process keeps a connection open.
  const int published = free_loopback_port();
  const std::string web = bed.container(
      "web", {"--network", net, "-p", "127.0.0.1:" + std::to_string(published) + ":8080"},
      {"sh", "-c", "nc -ll -p 8080 -e /bin/cat"});
  // Published on every address: the peer connects in (DNAT to the container).
  const int inbound_port = free_loopback_port();
  const std::string shop =
      bed.container("shop", {"--network", net, "-p", std::to_string(inbound_port) + ":8080"},
                    {"sh", "-c", "nc -ll -p 8080 -e /bin/cat"});
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const std::string talker_ip = address_on(bed, talker, net);
  // Only this run's flows: an earlier run's may linger in conntrack for their timeout.
  const auto ours = [&](const json* m) { return (*m)["flow"]["src"] == talker_ip; };
  background_process client(
      {"sh", "-c", "sleep 3600 | busybox nc 127.0.0.1 " + std::to_string(published)});
  std::optional<background_process> peer_client;  // started for the inbound case below

  int rc = -1;
  json out;
  // The connection and a few pings need a moment.
  for (int i = 0; i < 40; ++i) {
    out = locate_json({"--ip", far_peer}, rc);
    bool pings = false;
    for (const auto* m : of_kind(out, "conntrack")) {
      if (ours(m) && (*m)["flow"]["protocol"] == "icmp" && (*m)["count"].get<int>() >= 3) {
        pings = true;
      }
    }
    if (names(out, talker, "socket") && pings) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  INFO("peer: " << out.dump(1));
  REQUIRE(rc == 0);

  // Sharers: the talker holds the socket and the flows; the sharer is named with it.
  const json* sock = find_match(out, talker, "socket");
  REQUIRE(sock != nullptr);
  CHECK(shares_with(*sock, sharer));
  CHECK_FALSE(names(out, sharer, "socket"));
  const json* tcp_flow = nullptr;
  int icmp_lines = 0;
  for (const auto* m : of_kind(out, "conntrack")) {
    if (!ours(m)) continue;
    CHECK((*m)["container_name"] == talker);  // never the sharer
    CHECK(shares_with(*m, sharer));
    if ((*m)["flow"]["protocol"] == "tcp" && (*m)["flow"]["dport"] == 8443) tcp_flow = m;
    if ((*m)["flow"]["protocol"] == "icmp") {
      ++icmp_lines;
      // Identical pings grouped: one line, a count, first/last seen.
      CHECK((*m)["count"].get<int>() >= 3);
      CHECK((*m)["first_seen"].is_string());
      CHECK((*m)["last_seen"].is_string());
      CHECK((*m)["first_seen"].get<std::string>() <= (*m)["last_seen"].get<std::string>());
      CHECK((*m)["summary"].get<std::string>().find(" identical flows") != std::string::npos);
    }
  }
  CHECK(icmp_lines == 1);
  REQUIRE(tcp_flow != nullptr);
  const std::string nat_address = (*tcp_flow)["flow"]["reply_dst"];
  const int nat_port = (*tcp_flow)["flow"]["reply_dport"];
  CHECK(nat_address == "198.51.100.1");  // the host's side of the peer's link

  // Outbound masquerade undone from the host's side: the host address and the port seen
  // outside name the talker and its process, and nothing else.
  auto nat = locate_json({"--ip", nat_address, "--nat-port", std::to_string(nat_port)}, rc);
  INFO("nat: " << nat.dump(1));
  CHECK(rc == 0);
  CHECK(nat["host_address"] == true);
  REQUIRE(nat["matches"].size() == 1);
  const json& natted = nat["matches"][0];
  CHECK(natted["kind"] == "conntrack");
  CHECK(natted["container_name"] == talker);
  REQUIRE(natted["socket"].is_object());
  CHECK(natted["socket"]["comm"] == "nc");
  CHECK(natted["socket"]["remote_address"] == far_peer);
  // --nat-port narrows the sockets too: asked about the peer, only the talker's socket.
  auto peer_nat = locate_json({"--ip", far_peer, "--nat-port", std::to_string(nat_port)}, rc);
  CHECK(rc == 0);
  for (const auto& m : peer_nat["matches"]) CHECK(m["container_name"] == talker);
  CHECK(of_kind(peer_nat, "socket").size() <= 1);

  // The host's own address: the host namespace, the host-network container named, and its
  // listener's socket attributed to it by the process's cgroup.
  auto host = locate_json({"--ip", nat_address}, rc);
  INFO("host: " << host.dump(1));
  CHECK(rc == 0);
  const auto owners = of_kind(host, "owner");
  REQUIRE(owners.size() == 1);
  CHECK((*owners[0])["namespace"] == "host namespace");
  CHECK(shares_with(*owners[0], hostnet));
  auto host_port_q = locate_json({"--ip", nat_address, "--port", std::to_string(host_port)}, rc);
  INFO("host port: " << host_port_q.dump(1));
  CHECK(rc == 0);
  const json* listener = find_match(host_port_q, hostnet, "socket");
  REQUIRE(listener != nullptr);
  CHECK((*listener)["socket"]["state"] == "LISTEN");
  CHECK((*listener)["socket"]["comm"] == "nc");
  CHECK((*listener)["socket"]["container_id"] == (*listener)["container_id"]);
  CHECK(of_kind(host_port_q, "owner").empty());  // asked with a port: the answer is the socket

  // Loopback published through docker-proxy: the container behind 127.0.0.1:PORT, and the
  // host process's connection to it.
  auto loop = locate_json({"--ip", "127.0.0.1", "--port", std::to_string(published)}, rc);
  INFO("loopback: " << loop.dump(1));
  CHECK(rc == 0);
  const json* pub = find_match(loop, web, "publish");
  REQUIRE(pub != nullptr);
  CHECK((*pub)["proxy"]["comm"] == "docker-proxy");
  CHECK((*pub)["proxy"]["host_port"] == published);
  bool proxied_flow = false;
  for (const auto* m : of_kind(loop, "conntrack")) {
    CHECK((*m)["container_name"] == web);
    proxied_flow = proxied_flow || (*m)["proxy"].is_object();
  }
  CHECK(proxied_flow);
  CHECK_FALSE(mentions(loop, "not a container address"));
  CHECK_FALSE(mentions(loop, shop));

  // An external address that connected in: --port is the port it connected to (published),
  // and the flow names the container behind it.
  peer_client.emplace(std::vector<std::string>{
      "ip", "netns", "exec", peer.name, "sh", "-c",
      "sleep 3600 | busybox nc 198.51.100.1 " + std::to_string(inbound_port)});
  json inbound;
  for (int i = 0; i < 20; ++i) {
    inbound = locate_json({"--ip", far_peer, "--port", std::to_string(inbound_port)}, rc);
    if (names(inbound, shop, "conntrack")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  INFO("inbound: " << inbound.dump(1));
  CHECK(rc == 0);
  CHECK(names(inbound, shop, "conntrack"));
  CHECK_FALSE(mentions(inbound, talker));

  // --capture: the talker's pings on its veth, the sharer named with it.
  auto cap = locate_json({"--ip", far_peer, "--capture", "2"}, rc);
  INFO("capture: " << cap.dump(1));
  CHECK(rc == 0);
  const json* seen = find_match(cap, talker, "packet");
  REQUIRE(seen != nullptr);
  CHECK(shares_with(*seen, sharer));

  // --at: an address a container holds now is never answered "nothing holds it".
  auto at = run_tool("ir-locate", {"--ip", talker_ip, "--at", "1h ago"});
  INFO("at: " << at.out << at.err);
  CHECK(at.exit_code == 0);
  CHECK(at.out.find(talker) != std::string::npos);
  CHECK(at.out.find("nothing on this host holds") == std::string::npos);

  // A zone is kept.
  auto zone = locate_json({"--ip", "fe80::1%lo"}, rc);
  CHECK(zone["address"] == "fe80::1%lo");
  auto zone_text = run_tool("ir-locate", {"--ip", "fe80::1%lo"});
  CHECK(zone_text.out.find("fe80::1%lo") != std::string::npos);
}
