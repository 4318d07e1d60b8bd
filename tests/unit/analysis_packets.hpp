#pragma once
// Hand-made packets and capture files for the analyzer's unit tests: IPv4/TCP/UDP built byte by
// byte, written with libpcap's pcap_dump (so the reader is tested on what libpcap writes).
#include <arpa/inet.h>
#include <pcap/pcap.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace analysis_test {

using packet = std::vector<std::uint8_t>;

inline void put16(packet& p, std::size_t at, std::uint16_t v) {
  p[at] = static_cast<std::uint8_t>(v >> 8);
  p[at + 1] = static_cast<std::uint8_t>(v & 0xff);
}

// An IPv4 packet carrying `l4` (protocol 6 or 17), checksums left zero (nothing checks them).
inline packet ipv4(const std::string& src, const std::string& dst, std::uint8_t proto,
                   const packet& l4) {
  packet p(20, 0);
  p[0] = 0x45;
  put16(p, 2, static_cast<std::uint16_t>(20 + l4.size()));
  p[8] = 64;
  p[9] = proto;
  ::inet_pton(AF_INET, src.c_str(), p.data() + 12);
  ::inet_pton(AF_INET, dst.c_str(), p.data() + 16);
  p.insert(p.end(), l4.begin(), l4.end());
  return p;
}

inline packet tcp(std::uint16_t sport, std::uint16_t dport, std::uint8_t flags,
                  const std::string& payload = {}) {
  packet t(20, 0);
  put16(t, 0, sport);
  put16(t, 2, dport);
  t[12] = 5 << 4;
  t[13] = flags;
  t.insert(t.end(), payload.begin(), payload.end());
  return t;
}

// A TCP segment with sequence number `seq` and binary payload.
inline packet tcp_seq(std::uint16_t sport, std::uint16_t dport, std::uint8_t flags,
                      std::uint32_t seq, const packet& payload) {
  packet t = tcp(sport, dport, flags);
  put16(t, 4, static_cast<std::uint16_t>(seq >> 16));
  put16(t, 6, static_cast<std::uint16_t>(seq & 0xffff));
  t.insert(t.end(), payload.begin(), payload.end());
  return t;
}

// IPv4 fragment: `offset` in bytes (a multiple of 8), `more` the MF flag.
inline packet ipv4_fragment(const std::string& src, const std::string& dst, std::uint8_t proto,
                            std::uint16_t id, std::uint16_t offset, bool more, const packet& data) {
  packet p = ipv4(src, dst, proto, data);
  put16(p, 4, id);
  put16(p, 6, static_cast<std::uint16_t>((more ? 0x2000 : 0) | (offset / 8)));
  return p;
}

// An IPv6 packet; `ext` (extension headers, already chained) goes before `l4`, `first` is the
// next-header value of the fixed header.
inline packet ipv6(const std::string& src, const std::string& dst, std::uint8_t first,
                   const packet& ext, const packet& l4) {
  packet p(40, 0);
  p[0] = 0x60;
  put16(p, 4, static_cast<std::uint16_t>(ext.size() + l4.size()));
  p[6] = first;
  p[7] = 64;
  ::inet_pton(AF_INET6, src.c_str(), p.data() + 8);
  ::inet_pton(AF_INET6, dst.c_str(), p.data() + 24);
  p.insert(p.end(), ext.begin(), ext.end());
  p.insert(p.end(), l4.begin(), l4.end());
  return p;
}

// A VXLAN header (I flag, `vni`) before an inner Ethernet frame.
inline packet vxlan(std::uint32_t vni, const packet& inner) {
  packet v(8, 0);
  v[0] = 0x08;
  v[4] = static_cast<std::uint8_t>(vni >> 16);
  v[5] = static_cast<std::uint8_t>(vni >> 8);
  v[6] = static_cast<std::uint8_t>(vni);
  v.insert(v.end(), inner.begin(), inner.end());
  return v;
}

// A Geneve header (no options, Ethernet payload) before an inner Ethernet frame.
inline packet geneve(std::uint32_t vni, const packet& inner) {
  packet g = vxlan(vni, inner);
  g[0] = 0;
  put16(g, 2, 0x6558);
  return g;
}

inline packet udp(std::uint16_t sport, std::uint16_t dport, const packet& payload) {
  packet u(8, 0);
  put16(u, 0, sport);
  put16(u, 2, dport);
  put16(u, 4, static_cast<std::uint16_t>(8 + payload.size()));
  u.insert(u.end(), payload.begin(), payload.end());
  return u;
}

inline packet ethernet(const packet& ip) {
  packet e(14, 0);
  e[0] = 0x02;
  e[6] = 0x02;
  e[11] = 1;
  put16(e, 12, !ip.empty() && (ip[0] >> 4) == 6 ? 0x86dd : 0x0800);
  e.insert(e.end(), ip.begin(), ip.end());
  return e;
}

inline packet linux_sll(const packet& ip) {
  packet e(16, 0);
  put16(e, 14, 0x0800);
  e.insert(e.end(), ip.begin(), ip.end());
  return e;
}

inline void append_name(packet& m, const std::string& name) {
  std::size_t start = 0;
  while (start <= name.size()) {
    auto dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    m.push_back(static_cast<std::uint8_t>(dot - start));
    m.insert(m.end(), name.begin() + static_cast<long>(start),
             name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  m.push_back(0);
}

// A DNS query for `name` (type A), or its answer with one A record `answer`.
inline packet dns(const std::string& name, const std::string& answer = {}) {
  packet m(12, 0);
  put16(m, 0, 0x1234);
  put16(m, 2, answer.empty() ? 0x0100 : 0x8180);
  put16(m, 4, 1);
  put16(m, 6, answer.empty() ? 0 : 1);
  append_name(m, name);
  m.insert(m.end(), {0, 1, 0, 1});
  if (!answer.empty()) {
    m.insert(m.end(), {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4});
    std::uint8_t a[4];
    ::inet_pton(AF_INET, answer.c_str(), a);
    m.insert(m.end(), a, a + 4);
  }
  return m;
}

struct timed_packet {
  long seconds;
  packet bytes;
  std::uint32_t original = 0;  // the length on the wire when larger than the bytes kept
};

// Writes a pcap of link type `dlt` with pcap_dump.
inline void write_capture(const std::string& path, int dlt, const std::vector<timed_packet>& ps) {
  pcap_t* dead = ::pcap_open_dead(dlt, 262144);
  pcap_dumper_t* d = ::pcap_dump_open(dead, path.c_str());
  if (!d) throw std::runtime_error("pcap_dump_open failed");
  for (const auto& tp : ps) {
    pcap_pkthdr h{};
    h.ts.tv_sec = tp.seconds;
    h.ts.tv_usec = 250000;
    h.caplen = h.len = static_cast<bpf_u_int32>(tp.bytes.size());
    if (tp.original > h.caplen) h.len = tp.original;
    ::pcap_dump(reinterpret_cast<u_char*>(d), &h, tp.bytes.data());
  }
  ::pcap_dump_close(d);
  ::pcap_close(dead);
}

}  // namespace analysis_test
