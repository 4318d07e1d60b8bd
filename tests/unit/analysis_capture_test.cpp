// The capture reader on captures written with libpcap from hand-made packets.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "analysis/capture_reader.hpp"
#include "analysis/dns_parse.hpp"
#include "analysis_packets.hpp"
#include "forensic/error.hpp"

using namespace analysis_test;
using namespace forensic::analysis;
using namespace forensic::analysis::detail;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("analysis-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

const flow* find_flow(const capture_summary& s, const std::string& dst, std::uint16_t dport) {
  for (const auto& f : s.flows) {
    if (f.dst == dst && f.dport == dport) return &f;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("flows: 5-tuple, packets, bytes, first/last, unanswered and answered SYNs") {
  const std::string path = temp_path("flows.pcap");
  std::vector<timed_packet> ps;
  // Three attempts to a quarantined C2 port: SYN only, never answered.
  for (int i = 0; i < 3; ++i) {
    ps.push_back(
        {1700000000 + i, ethernet(ipv4("172.18.0.2", "203.0.113.70", 6,
                                       tcp(static_cast<std::uint16_t>(40000 + i), 4444, 0x02)))});
  }
  // A handshake that was answered, then data.
  ps.push_back({1700000010, ethernet(ipv4("172.18.0.2", "203.0.113.71", 6, tcp(41000, 80, 0x02)))});
  ps.push_back({1700000010, ethernet(ipv4("203.0.113.71", "172.18.0.2", 6, tcp(80, 41000, 0x12)))});
  ps.push_back({1700000011, ethernet(ipv4("172.18.0.2", "203.0.113.71", 6,
                                          tcp(41000, 80, 0x18, "GET / HTTP/1.0\r\n\r\n")))});
  // Something that is not IP at all.
  packet arp(42, 0);
  arp[12] = 0x08;
  arp[13] = 0x06;
  ps.push_back({1700000012, arp});
  write_capture(path, DLT_EN10MB, ps);

  auto s = read_capture(path);
  ::unlink(path.c_str());
  CHECK(s.stats.packets == 7);
  CHECK(s.stats.undecoded == 1);
  REQUIRE(s.flows.size() == 4);
  const flow* c2 = find_flow(s, "203.0.113.70", 4444);
  REQUIRE(c2);
  CHECK(c2->protocol == "tcp");
  CHECK(c2->src == "172.18.0.2");
  CHECK(c2->sport == 40000);
  CHECK(c2->syns == 1);
  CHECK_FALSE(c2->syn_answered);
  CHECK(c2->bytes == 40);
  CHECK(c2->first_seen == "2023-11-14T22:13:20.250000Z");
  const flow* web = find_flow(s, "203.0.113.71", 80);
  REQUIRE(web);
  CHECK(web->syn_answered);
  CHECK(web->packets == 3);
  CHECK(web->packets_back == 1);
  CHECK(web->bytes == 40 + 40 + 58);
  CHECK(web->last_seen == "2023-11-14T22:13:31.250000Z");
}

TEST_CASE("DNS queries and answers are decoded, and other link types are read") {
  const std::string path = temp_path("dns.pcap");
  std::vector<timed_packet> ps{
      {1700000100,
       linux_sll(ipv4("172.18.0.2", "172.18.0.1", 17, udp(5353, 53, dns("C2.Evil.Example"))))},
      {1700000100, linux_sll(ipv4("172.18.0.1", "172.18.0.2", 17,
                                  udp(53, 5353, dns("C2.Evil.Example", "203.0.113.72"))))}};
  write_capture(path, DLT_LINUX_SLL, ps);
  auto s = read_capture(path);
  ::unlink(path.c_str());
  REQUIRE(s.dns.size() == 2);
  CHECK(s.dns[0].name == "C2.Evil.Example");
  CHECK(s.dns[0].type == "A");
  CHECK_FALSE(s.dns[0].response);
  CHECK(s.dns[0].client == "172.18.0.2");
  CHECK(s.dns[1].response);
  CHECK(s.dns[1].rcode == "NOERROR");
  REQUIRE(s.dns[1].answers.size() == 1);
  CHECK(s.dns[1].answers[0] == "203.0.113.72");
  REQUIRE(s.flows.size() == 1);
  CHECK(s.flows[0].protocol == "udp");

  const std::string raw = temp_path("raw.pcap");
  write_capture(raw, DLT_RAW,
                {{1700000200, ipv4("10.0.0.2", "203.0.113.73", 6, tcp(1234, 22, 0x02))}});
  auto r = read_capture(raw);
  ::unlink(raw.c_str());
  REQUIRE(r.flows.size() == 1);
  CHECK(r.flows[0].dst == "203.0.113.73");
  CHECK(r.flows[0].dport == 22);
}

TEST_CASE("hostile DNS messages and truncated packets do not crash the reader") {
  packet loop(12, 0);
  put16(loop, 2, 0x8180);
  put16(loop, 4, 1);
  put16(loop, 6, 1);
  loop.insert(loop.end(), {0xc0, 12});  // a name pointing at itself
  auto looped = parse_dns(loop, true);
  REQUIRE(looped.has_value());
  CHECK(looped->malformed);
  CHECK(looped->problem == "question: compression pointer loops");
  CHECK_FALSE(parse_dns(loop, false).has_value());
  packet short_msg{0, 1, 2};
  CHECK_FALSE(parse_dns(short_msg, false).has_value());
  REQUIRE(parse_dns(short_msg, true).has_value());
  CHECK(parse_dns(short_msg, true)->malformed);
  auto answer = dns("a.example", "203.0.113.9");
  answer.resize(answer.size() - 2);  // rdata cut short
  auto d = parse_dns(answer, true);
  REQUIRE(d.has_value());
  CHECK(d->answers.empty());
  CHECK(d->malformed);
  CHECK(d->name == "a.example");
  CHECK(d->problem == "record 1 data cut short");

  const std::string path = temp_path("trunc.pcap");
  auto p = ethernet(ipv4("172.18.0.2", "203.0.113.74", 6, tcp(1, 2, 0x02)));
  p.resize(20);  // IP header cut off
  write_capture(path, DLT_EN10MB, {{1700000300, p}});
  auto s = read_capture(path);
  ::unlink(path.c_str());
  CHECK(s.stats.undecoded == 1);
  CHECK(s.flows.empty());
}

TEST_CASE("a file that is not a capture is an errc::pcap error") {
  const std::string path = temp_path("not.pcap");
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("not a capture", f);
  std::fclose(f);
  CHECK_THROWS_AS(read_capture(path), forensic::error);
  ::unlink(path.c_str());
}

namespace {

capture_summary read_packets(const std::string& name, const std::vector<timed_packet>& ps) {
  const std::string path = temp_path(name);
  write_capture(path, DLT_EN10MB, ps);
  auto s = read_capture(path);
  ::unlink(path.c_str());
  return s;
}

packet with_length_prefix(const packet& m) {
  packet out{static_cast<std::uint8_t>(m.size() >> 8), static_cast<std::uint8_t>(m.size())};
  out.insert(out.end(), m.begin(), m.end());
  return out;
}

}  // namespace

TEST_CASE("DNS over TCP: length-prefixed messages reassembled from in-order segments") {
  // Two queries in one stream, the first split across two segments; then the answer.
  packet stream = with_length_prefix(dns("first.tcp.example"));
  const packet second = with_length_prefix(dns("second.tcp.example"));
  stream.insert(stream.end(), second.begin(), second.end());
  const packet part1(stream.begin(), stream.begin() + 7), part2(stream.begin() + 7, stream.end());
  const auto c = "172.18.0.2", r = "172.18.0.53";
  std::vector<timed_packet> ps{
      {1700000400, ethernet(ipv4(c, r, 6, tcp_seq(40000, 53, 0x02, 1000, {})))},
      {1700000400, ethernet(ipv4(r, c, 6, tcp_seq(53, 40000, 0x12, 5000, {})))},
      {1700000401, ethernet(ipv4(c, r, 6, tcp_seq(40000, 53, 0x18, 1001, part1)))},
      // a retransmission of the first part changes nothing
      {1700000401, ethernet(ipv4(c, r, 6, tcp_seq(40000, 53, 0x18, 1001, part1)))},
      {1700000401, ethernet(ipv4(c, r, 6, tcp_seq(40000, 53, 0x18, 1001 + 7, part2)))},
      {1700000402,
       ethernet(ipv4(r, c, 6,
                     tcp_seq(53, 40000, 0x18, 5001,
                             with_length_prefix(dns("first.tcp.example", "203.0.113.80")))))}};
  auto s = read_packets("dns-tcp.pcap", ps);
  REQUIRE(s.dns.size() == 3);
  CHECK(s.dns[0].name == "first.tcp.example");
  CHECK(s.dns[0].transport == "tcp");
  CHECK(s.dns[0].server_port == 53);
  CHECK(s.dns[0].client_port == 40000);
  CHECK(s.dns[1].name == "second.tcp.example");
  CHECK(s.dns[2].response);
  CHECK(s.dns[2].client == c);
  REQUIRE(s.dns[2].answers.size() == 1);
  CHECK(s.dns[2].answers[0] == "203.0.113.80");
  CHECK(s.stats.dns_tcp == 3);
  REQUIRE(s.flows.size() == 1);
  CHECK(s.flows[0].packets == 6);
}

TEST_CASE("DNS on any port when it looks like DNS, and random UDP and TCP are not DNS") {
  const auto c = "172.18.0.2", r = "198.51.100.53";
  packet noise(64);
  for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<std::uint8_t>(i * 37 + 11);
  packet looks_like_header = noise;  // one question, but no sane name behind it
  put16(looks_like_header, 2, 0x0100);
  put16(looks_like_header, 4, 1);
  put16(looks_like_header, 6, 0);
  put16(looks_like_header, 8, 0);
  put16(looks_like_header, 10, 0);
  std::vector<timed_packet> ps{
      {1700000500, ethernet(ipv4(c, r, 17, udp(41000, 8053, dns("tunnel.c2.example"))))},
      {1700000500, ethernet(ipv4(c, r, 17, udp(41001, 8053, noise)))},
      {1700000500, ethernet(ipv4(c, r, 17, udp(41002, 9999, looks_like_header)))},
      {1700000501,
       ethernet(ipv4(c, r, 6,
                     tcp_seq(42000, 8053, 0x18, 1, with_length_prefix(dns("tcp.c2.example")))))},
      {1700000501, ethernet(ipv4(c, r, 6, tcp_seq(42001, 8053, 0x18, 1, noise)))}};
  auto s = read_packets("dns-ports.pcap", ps);
  REQUIRE(s.dns.size() == 2);
  CHECK(s.dns[0].name == "tunnel.c2.example");
  CHECK(s.dns[0].transport == "udp");
  CHECK(s.dns[0].server_port == 8053);
  CHECK(s.dns[1].name == "tcp.c2.example");
  CHECK(s.dns[1].transport == "tcp");
  CHECK(s.dns[1].server_port == 8053);
}

TEST_CASE("malformed DNS is kept as a record with what was read, and counted") {
  packet forward(12, 0);  // a question whose name points forward
  put16(forward, 2, 0x0100);
  put16(forward, 4, 1);
  forward.insert(forward.end(), {3, 'c', '2', 'x', 0xc0, 40, 0, 1, 0, 1});
  packet too_long(12, 0);
  put16(too_long, 2, 0x0100);
  put16(too_long, 4, 1);
  for (int i = 0; i < 5; ++i) {
    too_long.push_back(60);
    too_long.insert(too_long.end(), 60, 'a');
  }
  too_long.insert(too_long.end(), {0, 0, 1, 0, 1});
  const auto c = "172.18.0.2", r = "172.18.0.1";
  auto s = read_packets("dns-bad.pcap",
                        {{1700000600, ethernet(ipv4(c, r, 17, udp(41000, 53, forward)))},
                         {1700000600, ethernet(ipv4(c, r, 17, udp(41001, 53, too_long)))}});
  REQUIRE(s.dns.size() == 2);
  CHECK(s.dns[0].malformed);
  CHECK(s.dns[0].name == "c2x");
  CHECK(s.dns[0].problem == "question: compression pointer points forward");
  CHECK(s.dns[1].malformed);
  CHECK(s.dns[1].problem == "question: name longer than 255 octets");
  CHECK(s.stats.dns_malformed == 2);
}

TEST_CASE("bytes from the wire: IP length 0 (BIG TCP, offload), jumbograms, short headers") {
  const auto c = "172.18.0.2", r = "203.0.113.90";
  // IPv4 BIG TCP: total length 0; the capture kept 200 of 150014 bytes.
  auto big = ethernet(ipv4(c, r, 6, tcp(43000, 443, 0x10, std::string(160, 'x'))));
  put16(big, 14 + 2, 0);
  big.resize(200);
  // IPv6 jumbogram: payload length 0, a hop-by-hop jumbo option holds 100000.
  packet hbh{6, 0, 0xc2, 4, 0x00, 0x01, 0x86, 0xa0};
  auto jumbo = ethernet(ipv6("2001:db8::2", "2001:db8::90", 0, hbh, tcp(43001, 443, 0x10)));
  put16(jumbo, 14 + 4, 0);
  // IPv6 BIG TCP as the capturing host sees it: payload length 0 and no option.
  auto big6 = ethernet(ipv6("2001:db8::2", "2001:db8::90", 6, {}, tcp(43002, 443, 0x10)));
  put16(big6, 14 + 4, 0);
  // An IPv4 total length smaller than its own TCP header.
  auto liar = ethernet(ipv4(c, r, 6, tcp(43003, 443, 0x10)));
  put16(liar, 14 + 2, 24);
  auto s = read_packets("bytes.pcap", {{1700000700, big, 14 + 150000},
                                       {1700000700, jumbo, 14 + 40 + 100000},
                                       {1700000700, big6, 14 + 40 + 70000},
                                       {1700000700, liar}});
  REQUIRE(s.flows.size() == 4);
  CHECK(find_flow(s, r, 443)->bytes == 150000);
  CHECK(s.flows[1].bytes == 40 + 100000);
  CHECK(s.flows[2].bytes == 40 + 70000);
  CHECK(s.flows[3].protocol == "malformed");
  CHECK(s.flows[3].bytes == 40);  // both headers were on the wire
}

TEST_CASE("malformed IPv6 keeps its addresses in a flow marked malformed") {
  // A routing header claiming 2 KiB in a 60-byte packet; a chain cut short.
  packet routing{6, 255, 0, 0, 0, 0, 0, 0};
  auto bogus = ethernet(ipv6("2001:db8::2", "2001:db8::91", 43, routing, tcp(1, 2, 0x02)));
  auto cut = ethernet(ipv6("2001:db8::2", "2001:db8::92", 60, {}, {}));
  auto s = read_packets("v6-bad.pcap", {{1700000800, bogus}, {1700000801, cut}});
  CHECK(s.stats.undecoded == 0);
  CHECK(s.stats.malformed_ip == 2);
  REQUIRE(s.flows.size() == 2);
  CHECK(s.flows[0].protocol == "malformed");
  CHECK(s.flows[0].src == "2001:db8::2");
  CHECK(s.flows[0].dst == "2001:db8::91");
  CHECK(s.flows[1].dst == "2001:db8::92");
}

TEST_CASE("fragments count toward their flow, and orphans are reported as fragments") {
  const auto c = "172.18.0.2", r = "203.0.113.95";
  packet first = udp(44000, 9000, packet(1000, 'a'));
  put16(first, 4, 2008);  // the whole datagram's UDP length
  const packet rest(1000, 'b');
  auto s = read_packets("frag.pcap",
                        {// the second fragment arrives first
                         {1700000900, ethernet(ipv4_fragment(c, r, 17, 7, 1008, false, rest))},
                         {1700000900, ethernet(ipv4_fragment(c, r, 17, 7, 0, true, first))},
                         // a fragment whose first one never came
                         {1700000901, ethernet(ipv4_fragment(c, r, 17, 8, 1008, false, rest))}});
  REQUIRE(s.flows.size() == 2);
  CHECK(s.flows[0].protocol == "udp");
  CHECK(s.flows[0].dport == 9000);
  CHECK(s.flows[0].packets == 2);
  CHECK(s.flows[0].fragments == 1);
  CHECK(s.flows[0].bytes == 20 + 1008 + 20 + 1000);
  CHECK(s.flows[1].protocol == "fragments");
  CHECK(s.flows[1].dst == r);
  CHECK(s.stats.fragments == 2);
  CHECK(s.stats.unattributed_fragments == 1);
}

TEST_CASE("a DNS answer in IP fragments is read once they are all in, in any order") {
  const auto c = "172.18.0.2", r = "172.18.0.1";
  packet answer = dns("big.example", "203.0.113.96");
  answer.resize(answer.size() + 0);  // 47 bytes of DNS: split after 24 bytes of UDP + DNS
  const packet datagram = udp(53, 44001, answer);
  const packet head(datagram.begin(), datagram.begin() + 24),
      tail(datagram.begin() + 24, datagram.end());
  auto s = read_packets("dns-frag.pcap",
                        {{1700000950, ethernet(ipv4_fragment(r, c, 17, 9, 24, false, tail))},
                         {1700000951, ethernet(ipv4_fragment(r, c, 17, 9, 0, true, head))}});
  REQUIRE(s.dns.size() == 1);
  CHECK(s.dns[0].name == "big.example");
  CHECK_FALSE(s.dns[0].malformed);
  CHECK(s.dns[0].server_port == 53);
  REQUIRE(s.dns[0].answers.size() == 1);
  CHECK(s.dns[0].answers[0] == "203.0.113.96");
}

TEST_CASE("VXLAN and Geneve: inner flows reported with the tunnel endpoints") {
  const auto inner =
      ethernet(ipv4("10.0.0.2", "10.0.0.3", 17, udp(45000, 53, dns("overlay.example"))));
  const auto vx =
      ethernet(ipv4("192.168.1.10", "192.168.1.11", 17, udp(50000, 4789, vxlan(42, inner))));
  const auto ge =
      ethernet(ipv4("192.168.1.10", "192.168.1.12", 17, udp(50001, 6081, geneve(7, inner))));
  auto s = read_packets("tunnel.pcap", {{1700001000, vx}, {1700001001, ge}});
  CHECK(s.stats.tunneled == 2);
  REQUIRE(s.flows.size() == 4);
  CHECK(s.flows[0].dport == 4789);
  CHECK_FALSE(s.flows[0].tunnel.has_value());
  CHECK(s.flows[1].src == "10.0.0.2");
  REQUIRE(s.flows[1].tunnel.has_value());
  CHECK(s.flows[1].tunnel->type == "vxlan");
  CHECK(s.flows[1].tunnel->vni == 42);
  CHECK(s.flows[1].tunnel->outer_src == "192.168.1.10");
  CHECK(s.flows[1].tunnel->outer_dst == "192.168.1.11");
  CHECK(s.flows[1].bytes == inner.size() - 14);
  REQUIRE(s.flows[3].tunnel.has_value());
  CHECK(s.flows[3].tunnel->type == "geneve");
  CHECK(s.flows[3].tunnel->vni == 7);
  REQUIRE(s.dns.size() == 2);
  CHECK(s.dns[0].name == "overlay.example");
  CHECK(s.dns[0].tunnel == "vxlan");
  CHECK(s.dns[1].tunnel == "geneve");
}
