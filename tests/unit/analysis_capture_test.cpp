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
  CHECK(s.packets == 7);
  CHECK(s.undecoded == 1);
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

TEST_CASE("DNS queries and answers are decoded; other link types are read") {
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
  CHECK_FALSE(parse_dns(loop).has_value());
  packet short_msg{0, 1, 2};
  CHECK_FALSE(parse_dns(short_msg).has_value());
  auto answer = dns("a.example", "203.0.113.9");
  answer.resize(answer.size() - 2);  // rdata cut short
  auto d = parse_dns(answer);
  REQUIRE(d.has_value());
  CHECK(d->answers.empty());

  const std::string path = temp_path("trunc.pcap");
  auto p = ethernet(ipv4("172.18.0.2", "203.0.113.74", 6, tcp(1, 2, 0x02)));
  p.resize(20);  // IP header cut off
  write_capture(path, DLT_EN10MB, {{1700000300, p}});
  auto s = read_capture(path);
  ::unlink(path.c_str());
  CHECK(s.undecoded == 1);
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
