#include "analysis/capture_reader.hpp"

#include <arpa/inet.h>
#include <pcap/pcap.h>

#include <ctime>
#include <map>
#include <memory>
#include <span>
#include <tuple>

#include "analysis/dns_parse.hpp"
#include "forensic/error.hpp"
#include "forensic/io/time.hpp"
#include "io/c_handles.hpp"

namespace forensic::analysis::detail {
namespace {

using io::pcap_ptr;

using bytes = std::span<const std::uint8_t>;

std::uint16_t u16(bytes b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

// The network-layer payload and its version (4 or 6), from the link type.
bool network_layer(int linktype, bytes frame, bytes& ip) {
  std::size_t off = 0;
  std::uint16_t ethertype = 0;
  switch (linktype) {
    case DLT_EN10MB:
      if (frame.size() < 14) return false;
      ethertype = u16(frame, 12);
      off = 14;
      while ((ethertype == 0x8100 || ethertype == 0x88a8) && frame.size() >= off + 4) {
        ethertype = u16(frame, off + 2);
        off += 4;
      }
      break;
    case DLT_LINUX_SLL:
      if (frame.size() < 16) return false;
      ethertype = u16(frame, 14);
      off = 16;
      break;
#ifdef DLT_LINUX_SLL2
    case DLT_LINUX_SLL2:
      if (frame.size() < 20) return false;
      ethertype = u16(frame, 0);
      off = 20;
      break;
#endif
    case DLT_NULL:
    case DLT_LOOP: {
      if (frame.size() < 4) return false;
      // The family is in host order of the capturing machine: accept both orders.
      const std::uint32_t fam = frame[0] | (frame[3] << 24);
      const bool v6 = frame[0] == 24 || frame[0] == 28 || frame[0] == 30 || frame[3] == 24 ||
                      frame[3] == 28 || frame[3] == 30;
      ethertype = v6 ? 0x86dd : (fam ? 0x0800 : 0);
      off = 4;
      break;
    }
    case DLT_RAW:
#ifdef DLT_IPV4
    case DLT_IPV4:
    case DLT_IPV6:
#endif
      if (frame.empty()) return false;
      ethertype = (frame[0] >> 4) == 6 ? 0x86dd : 0x0800;
      break;
    default:
      return false;
  }
  if (ethertype != 0x0800 && ethertype != 0x86dd) return false;
  ip = frame.subspan(off);
  return !ip.empty();
}

struct packet_facts {
  std::string src, dst, protocol;
  std::uint16_t sport = 0, dport = 0;
  std::uint8_t tcp_flags = 0;
  std::uint64_t length = 0;
  bytes l4_payload;
};

bool decode_ip(bytes ip, packet_facts& p) {
  char a[INET6_ADDRSTRLEN] = {}, b[INET6_ADDRSTRLEN] = {};
  std::uint8_t proto = 0;
  std::size_t l4 = 0;
  bool first_fragment = true;
  if ((ip[0] >> 4) == 4) {
    if (ip.size() < 20) return false;
    const std::size_t ihl = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
    if (ihl < 20 || ip.size() < ihl) return false;
    p.length = u16(ip, 2);
    proto = ip[9];
    first_fragment = (u16(ip, 6) & 0x1fff) == 0;
    ::inet_ntop(AF_INET, ip.data() + 12, a, sizeof a);
    ::inet_ntop(AF_INET, ip.data() + 16, b, sizeof b);
    l4 = ihl;
    if (p.length >= ihl && p.length < ip.size()) ip = ip.first(p.length);  // drop padding
  } else if ((ip[0] >> 4) == 6) {
    if (ip.size() < 40) return false;
    p.length = 40u + u16(ip, 4);
    proto = ip[6];
    ::inet_ntop(AF_INET6, ip.data() + 8, a, sizeof a);
    ::inet_ntop(AF_INET6, ip.data() + 24, b, sizeof b);
    l4 = 40;
    // Extension headers: hop-by-hop, routing, destination options, fragment.
    for (int i = 0; i < 8 && (proto == 0 || proto == 43 || proto == 60 || proto == 44); ++i) {
      if (ip.size() < l4 + 8) return false;
      const std::uint8_t next = ip[l4];
      if (proto == 44) {
        first_fragment = (u16(ip, l4 + 2) & 0xfff8) == 0;
        l4 += 8;
      } else {
        l4 += (static_cast<std::size_t>(ip[l4 + 1]) + 1) * 8;
      }
      proto = next;
    }
  } else {
    return false;
  }
  p.src = a;
  p.dst = b;
  switch (proto) {
    case 6:
      p.protocol = "tcp";
      break;
    case 17:
      p.protocol = "udp";
      break;
    case 1:
      p.protocol = "icmp";
      break;
    case 58:
      p.protocol = "icmpv6";
      break;
    default:
      p.protocol = std::to_string(proto);
  }
  if (!first_fragment || l4 > ip.size()) return true;
  bytes rest = ip.subspan(l4);
  if (proto == 6 && rest.size() >= 20) {
    p.sport = u16(rest, 0);
    p.dport = u16(rest, 2);
    p.tcp_flags = rest[13];
    const std::size_t doff = static_cast<std::size_t>(rest[12] >> 4) * 4;
    if (doff >= 20 && doff <= rest.size()) p.l4_payload = rest.subspan(doff);
  } else if (proto == 17 && rest.size() >= 8) {
    p.sport = u16(rest, 0);
    p.dport = u16(rest, 2);
    p.l4_payload = rest.subspan(8);
  }
  return true;
}

using flow_key = std::tuple<std::string, std::string, std::uint16_t, std::string, std::uint16_t>;

}  // namespace

capture_summary read_capture(const std::filesystem::path& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_ptr p{::pcap_open_offline(path.c_str(), errbuf)};
  if (!p) throw error(errc::pcap, "cannot read capture " + path.string() + ": " + errbuf);
  capture_summary s;
  std::map<flow_key, std::size_t> index;  // both orientations point at the flow
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int rc = 0;
  while ((rc = ::pcap_next_ex(p.get(), &header, &data)) == 1) {
    ++s.packets;
    bytes frame(data, header->caplen);
    bytes ip;
    packet_facts pk;
    if (!network_layer(::pcap_datalink(p.get()), frame, ip) || !decode_ip(ip, pk)) {
      ++s.undecoded;
      continue;
    }
    const std::string when = io::format_rfc3339(
        header->ts.tv_sec, std::int64_t{header->ts.tv_usec} * 1000, io::time_precision::micros);
    const bool syn = (pk.tcp_flags & 0x02) && !(pk.tcp_flags & 0x10);
    const bool syn_ack = (pk.tcp_flags & 0x12) == 0x12;
    const bool rst = (pk.tcp_flags & 0x04) != 0;
    flow_key fwd{pk.protocol, pk.src, pk.sport, pk.dst, pk.dport};
    flow_key rev{pk.protocol, pk.dst, pk.dport, pk.src, pk.sport};
    auto it = index.find(fwd);
    bool forward = true;
    if (it == index.end()) {
      it = index.find(rev);
      forward = false;
    }
    if (it == index.end()) {
      flow f;
      f.protocol = pk.protocol;
      // Orient from the client: the SYN sender; a SYN-ACK's receiver; else the higher port.
      const bool flip = syn_ack || (!syn && pk.protocol == "tcp" && pk.sport < pk.dport);
      f.src = flip ? pk.dst : pk.src;
      f.dst = flip ? pk.src : pk.dst;
      f.sport = flip ? pk.dport : pk.sport;
      f.dport = flip ? pk.sport : pk.dport;
      f.first_seen = when;
      s.flows.push_back(f);
      it = index.emplace(flip ? rev : fwd, s.flows.size() - 1).first;
      forward = !flip;
    }
    flow& f = s.flows[it->second];
    ++f.packets;
    f.bytes += pk.length;
    f.last_seen = when;
    if (!forward) ++f.packets_back;
    if (forward && syn) ++f.syns;
    if (!forward && (syn_ack || rst)) f.syn_answered = true;
    if (pk.protocol == "udp" && (pk.sport == 53 || pk.dport == 53) && !pk.l4_payload.empty()) {
      if (auto d = parse_dns(pk.l4_payload)) {
        d->time = when;
        d->client = d->response ? pk.dst : pk.src;
        d->server = d->response ? pk.src : pk.dst;
        s.dns.push_back(std::move(*d));
      }
    }
  }
  if (rc == -1) {
    s.warnings.push_back("capture read stopped early: " + std::string(::pcap_geterr(p.get())));
  }
  return s;
}

}  // namespace forensic::analysis::detail
