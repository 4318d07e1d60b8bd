// Parsers of the network module against recorded and hand-made fixtures.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "forensic/io/address.hpp"
#include "forensic/net/conntrack.hpp"
#include "forensic/net/iptables.hpp"
#include "forensic/net/sockets.hpp"
#include "net/engine_view.hpp"
#include "net/local_addresses.hpp"
#include "net/locate_detail.hpp"
#include "net/socket_census.hpp"
#include "proc/proc_files.hpp"

using namespace forensic;
using namespace forensic::net;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(FORENSIC_FIXTURES_DIR) + "/net/" + name);
  REQUIRE_MESSAGE(in, "missing fixture " << name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("io address: a zone is kept, literal syntax refuses what filters cannot take") {
  const auto scoped = io::parse_ip("fe80::1%eth0");
  REQUIRE(scoped);
  CHECK(scoped->zone == "eth0");
  CHECK(scoped->to_string() == "fe80::1");
  CHECK(io::same_host(*scoped, *io::parse_ip("fe80::1")));
  CHECK(io::parse_ip("[fe80::1%br-1a2b3c4d5e6f]")->zone == "br-1a2b3c4d5e6f");
  CHECK(io::parse_ip("198.51.100.7")->zone.empty());
  CHECK_FALSE(io::parse_ip("fe80::1%" + std::string(16, 'x')));  // longer than any ifname
  CHECK_FALSE(io::parse_ip("fe80::1%eth0", io::address_syntax::literal));
  CHECK_FALSE(io::parse_ip("[2001:db8::7]", io::address_syntax::literal));
  CHECK(io::parse_subnet("2001:db8::/32", io::address_syntax::literal)->prefix == 32);
  CHECK_FALSE(io::parse_subnet("[2001:db8::]/32", io::address_syntax::literal));
  CHECK(io::parse_subnet("fe80::%eth0/64")->network.zone == "eth0");
}

TEST_CASE("net address: parse, canonical form, mapped IPv4, subnets") {
  CHECK(io::parse_ip("198.51.100.7")->to_string() == "198.51.100.7");
  CHECK(io::parse_ip("[2001:DB8::7]")->to_string() == "2001:db8::7");
  CHECK(io::parse_ip("fe80::1%eth0")->to_string() == "fe80::1");
  CHECK_FALSE(io::parse_ip("example.com"));
  CHECK_FALSE(io::parse_ip("198.51.100.0/24"));
  CHECK_FALSE(io::parse_ip(""));
  CHECK(io::same_host("::ffff:198.51.100.7", *io::parse_ip("198.51.100.7")));
  CHECK_FALSE(io::same_host("198.51.100.8", *io::parse_ip("198.51.100.7")));
  CHECK(io::canonical("2001:0db8:0000:0000:0000:0000:0000:0007") == "2001:db8::7");
  auto s = io::parse_subnet("172.18.0.0/16");
  REQUIRE(s);
  CHECK(s->contains(*io::parse_ip("172.18.200.1")));
  CHECK(s->contains(*io::parse_ip("::ffff:172.18.0.2")));
  CHECK_FALSE(s->contains(*io::parse_ip("172.19.0.1")));
  CHECK(io::parse_subnet("fd00:db8:1::/64")->contains(*io::parse_ip("fd00:db8:1::2")));
  CHECK_FALSE(io::parse_subnet("10.0.0.0/33"));
}

TEST_CASE("net sockets: /proc/net/tcp of a container (recorded)") {
  auto rows = parse_proc_net(fixture("proc-net-tcp-container.txt"), "tcp", AF_INET);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].state == "LISTEN");
  CHECK(rows[0].local_address == "127.0.0.11");  // Docker's embedded DNS
  CHECK(rows[1].state == "ESTABLISHED");
  CHECK(rows[1].local_address == "172.29.0.3");
  CHECK(rows[1].remote_address == "172.29.0.2");
  CHECK(rows[1].remote_port == 5001);
  CHECK(rows[1].inode == 259849);
  auto udp = parse_proc_net(fixture("proc-net-udp-container.txt"), "udp", AF_INET);
  for (const auto& u : udp) CHECK(u.state == "UNCONN");
  CHECK(parse_proc_net(fixture("proc-net-tcp6-container.txt"), "tcp", AF_INET6).empty());
  std::size_t skipped = 99;
  parse_proc_net(fixture("proc-net-tcp6-host.txt"), "tcp", AF_INET6, &skipped);
  CHECK(skipped == 0);
}

TEST_CASE("net sockets: IPv6 and IPv4-mapped rows, garbage skipped") {
  std::size_t skipped = 0;
  auto rows = parse_proc_net(fixture("proc-net-tcp6-handmade.txt"), "tcp", AF_INET6, &skipped);
  REQUIRE(rows.size() == 3);
  CHECK(skipped == 2);
  CHECK(rows[0].local_address == "::");
  CHECK(rows[0].local_port == 80);
  CHECK(rows[0].state == "LISTEN");
  CHECK(rows[1].local_address == "::ffff:192.168.0.2");
  CHECK(rows[1].remote_address == "::ffff:198.51.100.20");
  CHECK(rows[1].remote_port == 443);
  CHECK(rows[1].uid == 1000);
  CHECK(detail::socket_matches(rows[1], *io::parse_ip("198.51.100.20"), 443));
  CHECK_FALSE(detail::socket_matches(rows[1], *io::parse_ip("198.51.100.20"), 80));
  CHECK(rows[2].local_address == "2001:db8::2");
  CHECK(rows[2].local_port == 40000);
  CHECK(rows[2].remote_address == "2001:db8::7");
  CHECK(rows[2].state == "SYN_SENT");
  CHECK(rows[2].tx_queue == 1);
  auto j = to_json(rows[2]);
  for (const char* key :
       {"protocol", "local_address", "local_port", "remote_address", "remote_port", "state",
        "inode", "pid", "ns_pid", "comm", "cmdline", "exe"}) {
    CHECK_MESSAGE(j.contains(key), key);
  }
  CHECK(parse_proc_net("", "tcp", AF_INET).empty());
}

TEST_CASE("net conntrack: proc file, NAT, UNREPLIED, IPv6, icmp, inbound DNAT") {
  std::size_t skipped = 0;
  auto flows = parse_nf_conntrack(fixture("nf_conntrack-handmade.txt"), &skipped);
  REQUIRE(flows.size() == 5);
  CHECK(skipped == 1);
  const auto& tcp = flows[0];
  CHECK(tcp.protocol == "tcp");
  CHECK(tcp.state == "ESTABLISHED");
  CHECK(tcp.src == "172.18.0.2");
  CHECK(tcp.reply_dst == "192.0.2.10");
  CHECK(tcp.reply_dport == 61000);
  CHECK(tcp.packets == 9);
  CHECK(tcp.bytes == 700);
  CHECK(tcp.assured);
  CHECK(tcp.nat());
  CHECK(flows[1].unreplied);
  CHECK(flows[1].protocol == "udp");
  CHECK(flows[1].state.empty());
  CHECK(flows[2].family == AF_INET6);
  CHECK(flows[2].src == "fd00:db8:1::2");
  CHECK(flows[2].dst == "2001:db8::7");
  CHECK(flows[2].state == "SYN_SENT");
  CHECK(flows[3].protocol == "icmp");
  CHECK(flows[3].sport == 0);
  auto real = parse_nf_conntrack(fixture("nf_conntrack-real.txt"), &skipped);
  CHECK(skipped == 0);
  CHECK(real.size() == 7);
  auto j = to_json(flows[1]);
  for (const char* key :
       {"protocol", "state", "src", "dst", "sport", "dport", "reply_src", "reply_dst",
        "reply_sport", "reply_dport", "unreplied", "packets", "bytes"}) {
    CHECK_MESSAGE(j.contains(key), key);
  }
}

TEST_CASE("net locate: conntrack matching by address, port and NAT'd port") {
  auto flows = parse_nf_conntrack(fixture("nf_conntrack-handmade.txt"));
  locate_options o;
  auto c2 = *io::parse_ip("198.51.100.20");
  auto all = detail::matching_flows(flows, c2, o);
  REQUIRE(all.size() == 2);  // tcp and icmp
  CHECK(all[0].inside_address == "172.18.0.2");
  CHECK(all[0].inside_port == 40000);
  o.nat_port = 61000;  // the IDS saw 192.0.2.10:61000 -> 198.51.100.20:443
  auto nat = detail::matching_flows(flows, c2, o);
  REQUIRE(nat.size() == 1);
  CHECK(nat[0].inside_port == 40000);
  CHECK(detail::describe_flow(nat[0]).find("seen outside as 192.0.2.10:61000") !=
        std::string::npos);
  o.nat_port.reset();
  o.port = 53;
  CHECK(detail::matching_flows(flows, *io::parse_ip("198.51.100.21"), o).size() == 1);
  CHECK(detail::matching_flows(flows, *io::parse_ip("2001:db8::7"), {}).size() == 1);
  auto inbound = detail::matching_flows(flows, *io::parse_ip("203.0.113.9"), {});
  REQUIRE(inbound.size() == 1);
  CHECK_FALSE(inbound[0].outbound);
  CHECK(inbound[0].inside_address == "172.17.0.2");

  // --port with an address that connected in is the port it connected to (the published
  // 8080) or the container's (80), never its own ephemeral port.
  locate_options published;
  published.port = 8080;
  CHECK(detail::matching_flows(flows, *io::parse_ip("203.0.113.9"), published).size() == 1);
  published.port = 80;
  CHECK(detail::matching_flows(flows, *io::parse_ip("203.0.113.9"), published).size() == 1);
  published.port = 50000;
  CHECK(detail::matching_flows(flows, *io::parse_ip("203.0.113.9"), published).empty());

  // Asked by the host's own address: the flows masqueraded to it, and the one published on it.
  const auto host = *io::parse_ip("192.0.2.10");
  CHECK(detail::matching_flows(flows, host, {}).size() == 4);  // tcp, udp, icmp out; tcp in
  locate_options by_nat;
  by_nat.nat_port = 61000;
  auto masq = detail::matching_flows(flows, host, by_nat);
  REQUIRE(masq.size() == 1);
  CHECK(masq[0].outbound);
  CHECK(masq[0].addr_is_nat);
  CHECK(masq[0].inside_address == "172.18.0.2");
  CHECK(masq[0].inside_port == 40000);
  locate_options by_port;
  by_port.port = 8080;
  auto in = detail::matching_flows(flows, host, by_port);
  REQUIRE(in.size() == 1);
  CHECK_FALSE(in[0].outbound);
  CHECK(in[0].inside_address == "172.17.0.2");
  // Asked by the container a published port forwarded to.
  auto target = detail::matching_flows(flows, *io::parse_ip("172.17.0.2"), {});
  REQUIRE(target.size() == 1);
  CHECK(target[0].addr_is_nat);
  CHECK(target[0].inside_port == 80);
}

TEST_CASE("net iptables: recorded nft rules of this host") {
  auto rules = parse_iptables_save(fixture("iptables-save-nft.txt"), AF_INET);
  CHECK(rules.warnings.empty());
  CHECK_FALSE(rules.rules.empty());
  auto d = docker_view(rules);
  CHECK(d.docker_chains_present);
  REQUIRE_FALSE(d.masquerades.empty());
  CHECK(d.masquerades[0].subnet == "172.17.0.0/16");
  CHECK(d.masquerades[0].bridge == "docker0");
  CHECK_FALSE(d.isolation.empty());
  auto v6 = parse_iptables_save(fixture("ip6tables-save-nft.txt"), AF_INET6);
  CHECK(v6.warnings.empty());
  CHECK_FALSE(docker_view(v6).docker_chains_present);
}

TEST_CASE("net iptables: odd rules are kept, not fatal") {
  auto rules = parse_iptables_save(fixture("iptables-save-odd.txt"), AF_INET);
  REQUIRE(rules.warnings.size() == 1);  // "this is not iptables"
  auto d = docker_view(rules);
  REQUIRE(d.masquerades.size() == 2);
  CHECK(d.masquerades[0].bridge == "br-1a2b3c4d5e6f");
  CHECK(d.masquerades[1].out_interface == "eth0");
  REQUIRE(d.publications.size() == 2);
  CHECK(d.publications[0].protocol == "udp");
  CHECK(d.publications[0].host_port == "5353");
  CHECK(d.publications[0].container_address == "172.18.0.4");
  CHECK(d.publications[0].container_port == "53");
  CHECK(d.publications[0].bridge == "br-1a2b3c4d5e6f");
  CHECK(d.publications[1].host_address == "192.0.2.10");
  CHECK(d.publications[1].host_port == "8000:8010");
  CHECK(d.publications[1].container_port == "8000:8010");
  REQUIRE(d.docker_user.size() == 3);
  CHECK(d.docker_user[0].target == "DROP");
  CHECK(d.docker_user[1].target == "NFQUEUE");
  CHECK(d.docker_user[1].unparsed.size() == 2);  // --bytecode "...", --queue-num 3
  const iptables_rule* comment = nullptr;
  const iptables_rule* unknown = nullptr;
  for (const auto& r : rules.rules) {
    if (r.target == "MARK") comment = &r;
    if (r.target == "SOMETARGET") unknown = &r;
  }
  REQUIRE(comment);
  CHECK(comment->comment == "weird \"quoted\" comment");
  CHECK(comment->modules == std::vector<std::string>{"comment", "set"});
  REQUIRE(unknown);
  CHECK(unknown->unparsed == std::vector<std::string>{"--wibble 3", "--unknown-flag"});
  CHECK(unknown->text == "-p tcp -m frobnicate --wibble 3 -j SOMETARGET --unknown-flag");
  auto v6 = docker_view(parse_iptables_save(fixture("ip6tables-save-docker.txt"), AF_INET6));
  REQUIRE(v6.publications.size() == 1);
  CHECK(v6.publications[0].container_address == "fd00:db8:1::2");
  CHECK(v6.publications[0].container_port == "443");
  CHECK(v6.masquerades.at(0).subnet == "fd00:db8:1::/64");
  CHECK(parse_iptables_save("\"unterminated", AF_INET).warnings.size() == 1);
}

TEST_CASE("net engine view: bridge names of networks and container ids of cgroups") {
  auto networks = detail::parse_docker_networks(nlohmann::json::parse(R"([
    {"Name":"bridge","Id":"4a39d7c27999aaaa","Driver":"bridge","Internal":false,
     "Options":{"com.docker.network.bridge.name":"docker0"},"IPAM":{"Config":[{"Subnet":"172.17.0.0/16"}]}},
    {"Name":"irnet1","Id":"e2c31544f29cbbbb","Driver":"bridge","Options":{"com.docker.network.bridge.name":"irtest-br0"},"IPAM":{"Config":null}},
    {"Name":"backend","Id":"71b3f1759dc8cccc","Driver":"bridge","Internal":true,"Options":null,"IPAM":null},
    {"Name":"host","Id":"e0b3835d3829","Driver":"host"}])"));
  REQUIRE(networks.size() == 4);
  CHECK(networks[0].bridge == "docker0");
  CHECK(networks[0].subnets == std::vector<std::string>{"172.17.0.0/16"});
  CHECK(networks[1].bridge == "irtest-br0");
  CHECK(networks[2].bridge == "br-71b3f1759dc8");
  CHECK(networks[2].internal);
  CHECK(networks[3].bridge.empty());
  const std::string id(64, 'a');
  CHECK(proc::container_id_from_cgroup("0::/docker/" + id + "\n") == id);
  CHECK(proc::container_id_from_cgroup("0::/system.slice/docker-" + id + ".scope\n") == id);
  CHECK(proc::container_id_from_cgroup("0::/user.slice/session-3.scope\n").empty());
  // Hex digits of either case (the id comes back in lower case); any other byte ends a run.
  CHECK(proc::container_id_from_cgroup("0::/docker/" + std::string(64, 'F') + "\n") ==
        std::string(64, 'f'));
  for (const char edge : {'g', 'G', '@', '`', '/', ':', '\xc6', '\xe6'}) {
    const std::string split = std::string(32, 'a') + edge + std::string(32, 'b');
    CHECK(proc::container_id_from_cgroup("0::/docker/" + split + "\n").empty());
  }
}

TEST_CASE("net socket census: sockstat counters of a namespace") {
  const auto census = forensic::net::detail::parse_sockstat(fixture("sockstat-container.txt"),
                                                            fixture("sockstat6-container.txt"));
  REQUIRE(census);
  CHECK(census->tcp == 1);  // the embedded DNS listener
  CHECK(census->tcp_tw == 0);
  CHECK(census->udp == 1);
  CHECK(census->raw == 0);

  const auto busy = forensic::net::detail::parse_sockstat(
      "sockets: used 9\nTCP: inuse 3 orphan 0 tw 2 alloc 9 mem 1\nUDP: inuse 0 mem 0\n"
      "UDPLITE: inuse 0\nRAW: inuse 1\nFRAG: inuse 0 memory 0\n",
      "TCP6: inuse 4\nUDP6: inuse 2\nUDPLITE6: inuse 0\nRAW6: inuse 0\nFRAG6: inuse 0 memory 0\n");
  REQUIRE(busy);
  CHECK(busy->tcp == 7);
  CHECK(busy->tcp_tw == 2);
  CHECK(busy->udp == 2);
  CHECK(busy->raw == 1);
  // Each family on its own, so that a table of the other family is not read for nothing.
  CHECK(busy->tcp4 == 3);
  CHECK(busy->tcp6 == 4);
  CHECK(busy->udp4 == 0);
  CHECK(busy->udp6 == 2);
  CHECK(busy->raw4 == 1);
  CHECK(busy->raw6 == 0);
  CHECK(census->udp4 == 1);  // the DNS listener is IPv4: udp6 need not be read
  CHECK(census->udp6 == 0);

  // Anything odd: no census, so every table is read.
  CHECK_FALSE(forensic::net::detail::parse_sockstat("TCP: inuse x\n", "TCP6: inuse 0\n"));
  CHECK_FALSE(forensic::net::detail::parse_sockstat("", ""));
  CHECK_FALSE(forensic::net::detail::parse_sockstat(
      "TCP: inuse 1 orphan 0 tw 0\nUDP: inuse 0\nRAW: inuse 0\n", "TCP6: inuse -1\n"));
}

TEST_CASE("net socket census: a namespace's TCP history from its snmp counters") {
  using forensic::net::detail::parse_snmp_tcp;
  // A sleeper on a user-defined network: a listener, never a connection.
  const auto idle = parse_snmp_tcp(fixture("snmp-container.txt"));
  REQUIRE(idle);
  CHECK(idle->idle());

  const auto busy = parse_snmp_tcp(
      "Ip: Forwarding\nIp: 1\n"
      "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets "
      "CurrEstab InSegs\nTcp: 1 200 120000 -1 140 75 22 13 0 15503\n");
  REQUIRE(busy);
  CHECK(busy->active_opens == 140);
  CHECK(busy->passive_opens == 75);
  CHECK(busy->curr_estab == 0);
  CHECK_FALSE(busy->idle());
  // One established without an open (a socket restored in repair mode) is not idle either.
  const auto restored = parse_snmp_tcp("Tcp: ActiveOpens PassiveOpens CurrEstab\nTcp: 0 0 1\n");
  REQUIRE(restored);
  CHECK_FALSE(restored->idle());

  // Anything odd: no history, so the namespace's listeners are counted as before.
  CHECK_FALSE(parse_snmp_tcp(""));
  CHECK_FALSE(parse_snmp_tcp("Tcp: ActiveOpens PassiveOpens CurrEstab\n"));
  CHECK_FALSE(parse_snmp_tcp("Tcp: ActiveOpens PassiveOpens\nTcp: 0 0\n"));
  CHECK_FALSE(parse_snmp_tcp("Tcp: ActiveOpens PassiveOpens CurrEstab\nTcp: 0 x 0\n"));
}

TEST_CASE("net local addresses: fib_trie leaves and if_inet6 rows") {
  using forensic::net::detail::parse_fib_trie_locals;
  using forensic::net::detail::parse_if_inet6;
  // Listed in both the Main and Local tables; loopback and broadcast leaves are not addresses.
  CHECK(parse_fib_trie_locals(fixture("fib_trie-container.txt")) ==
        std::vector<std::string>{"172.23.0.5"});
  CHECK(parse_fib_trie_locals("").empty());
  CHECK(parse_fib_trie_locals("|-- not-an-address\n   /32 host LOCAL\n").empty());
  CHECK(parse_if_inet6(fixture("if_inet6-handmade.txt")) ==
        std::vector<std::string>{"2001:db8::7"});
}

TEST_CASE("proc: a process's short-lined files read whole in one read") {
  const std::string self = "/proc/" + std::to_string(::getpid()) + "/";
  for (const char* file : {"status", "comm", "cgroup", "uid_map"}) {
    CAPTURE(file);
    const auto once = proc::read_short_lines(self + file);
    const auto whole = proc::read_file(self + file);
    REQUIRE(once);
    REQUIRE(whole);
    if (std::string(file) == "status") {  // its counters move between two reads
      CHECK(once->substr(0, once->find("VmPeak")) == whole->substr(0, whole->find("VmPeak")));
      CHECK(once->find("nonvoluntary_ctxt_switches") != std::string::npos);
    } else {
      CHECK(*once == *whole);
    }
  }
  CHECK_FALSE(proc::read_short_lines("/proc/no-such-file"));
}
