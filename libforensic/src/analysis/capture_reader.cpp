#include "analysis/capture_reader.hpp"

#include <arpa/inet.h>
#include <pcap/pcap.h>

#include <algorithm>
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

constexpr std::uint16_t vxlan_port = 4789, geneve_port = 6081;
constexpr int max_tunnel_depth = 2;

std::uint16_t u16(bytes b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

std::uint32_t u32(bytes b, std::size_t at) {
  return (std::uint32_t{u16(b, at)} << 16) | u16(b, at + 2);
}

// The network-layer payload, from the link type.
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
  std::uint8_t proto = 0;
  std::uint16_t sport = 0, dport = 0;
  std::uint8_t tcp_flags = 0;
  std::uint32_t seq = 0;
  std::uint64_t length = 0;
  bytes l4_payload;
  bool first_fragment = false;  // more fragments follow this one, which holds the ports
  bool later_fragment = false;  // a non-first fragment: no transport header
  std::uint32_t fragment_id = 0;
  std::uint32_t fragment_offset = 0;  // in bytes, from the start of the transport header
  bool more_fragments = false;
  bytes fragment_data;  // what follows the IP headers in a fragment
  bool malformed = false;
};

std::string protocol_name(std::uint8_t proto) {
  switch (proto) {
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 1:
      return "icmp";
    case 58:
      return "icmpv6";
  }
  return std::to_string(proto);
}

// The IPv6 hop-by-hop options' jumbo payload length (RFC 2675), or 0.
std::uint32_t jumbo_length(bytes options) {
  std::size_t at = 2;
  while (at < options.size()) {
    const std::uint8_t type = options[at];
    if (type == 0) {  // Pad1
      ++at;
      continue;
    }
    if (at + 2 > options.size()) return 0;
    const std::size_t len = options[at + 1];
    if (type == 0xc2 && len == 4 && at + 6 <= options.size()) return u32(options, at + 2);
    at += 2 + len;
  }
  return 0;
}

// Decodes one IP packet. False only when not even the addresses can be read. `wire` is the
// packet's length on the wire as the capture header says (the original frame length minus the
// link header): it is the length when the IP length field is 0.
bool decode_ip(bytes ip, std::uint64_t wire, packet_facts& p) {
  const bytes captured_ip = ip;
  char a[INET6_ADDRSTRLEN] = {}, b[INET6_ADDRSTRLEN] = {};
  std::size_t l4 = 0;
  std::uint64_t length = 0;
  if ((ip[0] >> 4) == 4) {
    if (ip.size() < 20) return false;
    ::inet_ntop(AF_INET, ip.data() + 12, a, sizeof a);
    ::inet_ntop(AF_INET, ip.data() + 16, b, sizeof b);
    p.src = a;
    p.dst = b;
    const std::size_t ihl = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
    const std::size_t total = u16(ip, 2);
    length = total == 0 ? wire : std::min<std::uint64_t>(total, wire);
    p.proto = ip[9];
    if (ihl < 20 || ip.size() < ihl || (total != 0 && total < ihl)) {
      p.malformed = true;
      p.length = std::max<std::uint64_t>(length, 20);
      return true;
    }
    const std::uint16_t frag = u16(ip, 6);
    p.later_fragment = (frag & 0x1fff) != 0;
    p.first_fragment = !p.later_fragment && (frag & 0x2000) != 0;
    p.fragment_id = u16(ip, 4);
    p.fragment_offset = static_cast<std::uint32_t>(frag & 0x1fff) * 8;
    p.more_fragments = (frag & 0x2000) != 0;
    l4 = ihl;
    if (total >= ihl && total < ip.size()) ip = ip.first(total);  // drop padding
  } else if ((ip[0] >> 4) == 6) {
    if (ip.size() < 40) return false;
    ::inet_ntop(AF_INET6, ip.data() + 8, a, sizeof a);
    ::inet_ntop(AF_INET6, ip.data() + 24, b, sizeof b);
    p.src = a;
    p.dst = b;
    const std::size_t payload = u16(ip, 4);
    std::uint8_t proto = ip[6];
    l4 = 40;
    std::uint32_t jumbo = 0;
    // Extension headers: hop-by-hop, routing, fragment, AH, destination options, mobility,
    // HIP, shim6.
    int n = 0;
    for (; n < 16 && (proto == 0 || proto == 43 || proto == 44 || proto == 51 || proto == 60 ||
                      proto == 135 || proto == 139 || proto == 140);
         ++n) {
      if (ip.size() < l4 + 8) break;
      const std::uint8_t next = ip[l4];
      std::size_t len = 0;
      if (proto == 44) {
        p.later_fragment = (u16(ip, l4 + 2) & 0xfff8) != 0;
        p.first_fragment = !p.later_fragment && (ip[l4 + 3] & 1) != 0;
        p.fragment_id = u32(ip, l4 + 4);
        p.fragment_offset = u16(ip, l4 + 2) & 0xfff8u;
        p.more_fragments = (ip[l4 + 3] & 1) != 0;
        len = 8;
      } else if (proto == 51) {
        len = (static_cast<std::size_t>(ip[l4 + 1]) + 2) * 4;
      } else {
        len = (static_cast<std::size_t>(ip[l4 + 1]) + 1) * 8;
      }
      if (ip.size() < l4 + len) break;
      if (proto == 0 && n == 0) jumbo = jumbo_length(ip.subspan(l4, len));
      l4 += len;
      proto = next;
      if (p.later_fragment) break;  // what follows is the middle of the original packet
    }
    p.proto = proto;
    length = payload != 0 ? 40 + payload : (jumbo != 0 ? 40ull + jumbo : wire);
    length = std::min<std::uint64_t>(length, wire);
    const bool chain_ok = !(proto == 0 || proto == 43 || proto == 44 || proto == 51 ||
                            proto == 60 || proto == 135 || proto == 139 || proto == 140) ||
                          p.later_fragment;
    if (!chain_ok || (payload != 0 && l4 > 40 + payload)) {
      p.malformed = true;
      p.later_fragment = p.first_fragment = false;
      p.length = std::max<std::uint64_t>(length, std::min(l4, ip.size()));
      return true;
    }
    if (payload != 0 && 40 + payload < ip.size()) ip = ip.first(40 + payload);
  } else {
    return false;
  }
  p.protocol = protocol_name(p.proto);
  p.length = std::max<std::uint64_t>(length, l4);
  if (p.later_fragment || p.first_fragment) p.fragment_data = ip.subspan(l4);
  if (p.later_fragment) return true;
  const bytes rest = ip.subspan(l4);
  if (p.proto == 6 || p.proto == 17) {
    const std::size_t need = p.proto == 6 ? 20 : 8;
    const std::size_t captured = captured_ip.size() - l4;
    // A transport header cut short by the IP length field (not by the capture's snap length)
    // is bogus; so is one without its ports.
    if (rest.size() < 4 || (rest.size() < need && captured >= need)) {
      p.malformed = true;
      p.length = std::max<std::uint64_t>(p.length, l4 + std::min(captured, need));
      return true;
    }
    p.sport = u16(rest, 0);
    p.dport = u16(rest, 2);
  }
  if (p.proto == 6 && rest.size() >= 20) {
    p.seq = u32(rest, 4);
    p.tcp_flags = rest[13];
    const std::size_t doff = static_cast<std::size_t>(rest[12] >> 4) * 4;
    if (doff >= 20 && doff <= rest.size()) {
      p.l4_payload = rest.subspan(doff);
      p.length = std::max<std::uint64_t>(p.length, l4 + doff);
    }
  } else if (p.proto == 17 && rest.size() >= 8) {
    const std::size_t ulen = u16(rest, 4);
    p.l4_payload = rest.subspan(8);
    if (ulen >= 8 && ulen < rest.size()) p.l4_payload = rest.subspan(8, ulen - 8);
    p.length = std::max<std::uint64_t>(p.length, l4 + 8);
  }
  return true;
}

// A VXLAN or Geneve header at the start of a UDP payload: the inner frame and its link type.
bool decapsulate(const packet_facts& p, flow_tunnel& t, bytes& inner, int& linktype) {
  const bytes u = p.l4_payload;
  if (p.proto != 17 || u.size() < 8) return false;
  if (p.dport == vxlan_port && (u[0] & 0x08) != 0) {  // the I flag: a VNI is present
    t.type = "vxlan";
    t.vni = (u32(u, 4) >> 8);
    inner = u.subspan(8);
    linktype = DLT_EN10MB;
    return true;
  }
  if (p.dport == geneve_port && (u[0] >> 6) == 0) {
    const std::size_t header = 8 + static_cast<std::size_t>(u[0] & 0x3f) * 4;
    const std::uint16_t type = u16(u, 2);
    if (u.size() < header) return false;
    if (type == 0x6558) {
      linktype = DLT_EN10MB;
    } else if (type == 0x0800 || type == 0x86dd) {
      linktype = DLT_RAW;
    } else {
      return false;
    }
    t.type = "geneve";
    t.vni = (u32(u, 4) >> 8);
    inner = u.subspan(header);
    return true;
  }
  return false;
}

using flow_key =
    std::tuple<std::string, std::string, std::string, std::uint16_t, std::string, std::uint16_t>;
using fragment_key = std::tuple<std::string, std::string, std::string, std::uint8_t, std::uint32_t>;

// One direction of a TCP connection, followed for length-prefixed DNS messages.
struct tcp_stream {
  bool dead = false;      // not DNS, or a segment went missing: no longer followed
  bool started = false;   // `next` is known
  bool accepted = false;  // a message decoded: later faults are malformed records
  bool on_dns_port = false;
  std::uint32_t next = 0;
  std::vector<std::uint8_t> buf;
  std::string src, dst, tunnel, last_time;
  std::uint16_t sport = 0, dport = 0;
};

struct pending_fragment {
  std::uint64_t length = 0;
  std::string when;
};

class capture_decoder {
 public:
  capture_summary s;

  void frame(int linktype, bytes frame, std::uint64_t wire, const std::string& when,
             const flow_tunnel* tunnel, int depth) {
    bytes ip;
    packet_facts pk;
    if (!network_layer(linktype, frame, ip)) {
      if (depth == 0) ++s.stats.undecoded;
      return;
    }
    // `wire` counts the link header too; the capture may hold fewer bytes than were sent.
    const std::size_t link = frame.size() - ip.size();
    const std::uint64_t ip_wire = wire > link ? wire - link : ip.size();
    if (!decode_ip(ip, ip_wire, pk)) {
      if (depth == 0) ++s.stats.undecoded;
      return;
    }
    const std::string tkey = tunnel ? tunnel->type + "/" + std::to_string(tunnel->vni) : "";
    if (pk.later_fragment) {
      ++s.stats.fragments;
      const fragment_key fk{tkey, pk.src, pk.dst, pk.proto, pk.fragment_id};
      if (auto it = fragment_owner_.find(fk); it != fragment_owner_.end()) {
        count(it->second, pk.src == s.flows[it->second].src, pk.length, when, true);
      } else {
        pending_[fk].push_back({pk.length, when});
      }
      reassemble(fk, pk, when);
      return;
    }
    if (pk.malformed) {
      ++s.stats.malformed_ip;
      pk.protocol = "malformed";
      pk.sport = pk.dport = 0;
      pk.tcp_flags = 0;
      pk.l4_payload = {};
    }
    bool forward = true;
    const std::size_t index = flow_of(tkey, pk, tunnel, when, forward);
    flow& f = s.flows[index];
    count(index, forward, pk.length, when, false);
    const bool syn = (pk.tcp_flags & 0x02) && !(pk.tcp_flags & 0x10);
    const bool syn_ack = (pk.tcp_flags & 0x12) == 0x12;
    const bool rst = (pk.tcp_flags & 0x04) != 0;
    if (forward && syn) ++f.syns;
    if (!forward && (syn_ack || rst)) f.syn_answered = true;
    if (pk.first_fragment) {
      const fragment_key fk{tkey, pk.src, pk.dst, pk.proto, pk.fragment_id};
      fragment_owner_[fk] = index;
      if (auto it = pending_.find(fk); it != pending_.end()) {
        for (const auto& pf : it->second) count(index, forward, pf.length, pf.when, true);
        pending_.erase(it);
      }
      reassemble(fk, pk, when);
      return;  // the datagram is read when its fragments are all in
    }
    flow_tunnel t;
    bytes inner;
    int inner_link = 0;
    if (depth < max_tunnel_depth && decapsulate(pk, t, inner, inner_link)) {
      ++s.stats.tunneled;
      t.outer_src = pk.src;
      t.outer_dst = pk.dst;
      t.outer_sport = pk.sport;
      t.outer_dport = pk.dport;
      // Bytes missing from the capture (snap length) are missing from the inner frame.
      const std::uint64_t missing = ip_wire > ip.size() ? ip_wire - ip.size() : 0;
      this->frame(inner_link, inner, inner.size() + missing, when, &t, depth + 1);
      return;
    }
    if (pk.l4_payload.empty()) return;
    if (pk.proto == 17) {
      if (auto d = parse_dns(pk.l4_payload, dns_port(pk.sport) || dns_port(pk.dport))) {
        add_dns(std::move(*d), "udp", pk.src, pk.sport, pk.dst, pk.dport, tkey, when);
      }
    } else if (pk.proto == 6) {
      follow_tcp(index, forward, pk, tkey, when);
    }
  }

  void finish() {
    for (auto& [fk, list] : pending_) {
      packet_facts pk;
      pk.protocol = "fragments";
      pk.src = std::get<1>(fk);
      pk.dst = std::get<2>(fk);
      bool forward = true;
      const std::size_t index = flow_of(std::get<0>(fk), pk, nullptr, list.front().when, forward);
      for (const auto& pf : list) {
        count(index, forward, pf.length, pf.when, true);
        ++s.stats.unattributed_fragments;
      }
    }
    pending_.clear();
    // A message the capture ended in the middle of, on a stream that carries DNS.
    for (auto& [key, st] : streams_) {
      if (st.dead || st.buf.size() < 2 + 12 || !(st.accepted || st.on_dns_port)) continue;
      const std::size_t len = u16(st.buf, 0);
      auto d = parse_dns(bytes(st.buf).subspan(2), true);
      if (!d) continue;
      d->malformed = true;
      d->problem = "TCP message cut short: " + std::to_string(st.buf.size() - 2) + " of " +
                   std::to_string(len) + " bytes";
      add_dns(std::move(*d), "tcp", st.src, st.sport, st.dst, st.dport, st.tunnel, st.last_time);
    }
  }

 private:
  std::map<flow_key, std::size_t> index_;  // both orientations point at the flow
  std::map<fragment_key, std::size_t> fragment_owner_;
  std::map<fragment_key, std::vector<pending_fragment>> pending_;
  std::map<std::pair<std::size_t, bool>, tcp_stream> streams_;
  // UDP datagrams in fragments, kept until whole to read the DNS they carry.
  struct datagram {
    std::map<std::uint32_t, std::vector<std::uint8_t>> pieces;  // by offset
    std::uint32_t total = 0;                                    // known from the last fragment
  };
  std::map<fragment_key, datagram> datagrams_;
  std::size_t datagram_bytes_ = 0;  // held in datagrams_
  static constexpr std::size_t max_datagram_bytes = 16u << 20;

  // Adds a fragment of a UDP datagram; when the datagram is whole, reads the DNS in it.
  void reassemble(const fragment_key& fk, const packet_facts& pk, const std::string& when) {
    if (pk.proto != 17 || pk.fragment_data.empty()) return;
    if (datagram_bytes_ + pk.fragment_data.size() > max_datagram_bytes ||
        pk.fragment_offset + pk.fragment_data.size() > 65535 + 8) {
      return;
    }
    datagram& d = datagrams_[fk];
    auto& piece = d.pieces[pk.fragment_offset];
    if (!piece.empty()) return;  // a duplicate
    piece.assign(pk.fragment_data.begin(), pk.fragment_data.end());
    datagram_bytes_ += piece.size();
    if (!pk.more_fragments) {
      d.total = pk.fragment_offset + static_cast<std::uint32_t>(pk.fragment_data.size());
    }
    if (d.total == 0) return;
    std::vector<std::uint8_t> whole;
    for (const auto& [offset, data] : d.pieces) {
      if (offset != whole.size()) return;  // a hole (or an overlap): not yet, or never
      whole.insert(whole.end(), data.begin(), data.end());
    }
    if (whole.size() != d.total) return;
    for (const auto& [offset, data] : d.pieces) datagram_bytes_ -= data.size();
    datagrams_.erase(fk);
    if (whole.size() < 8) return;
    const bytes u(whole);
    const std::uint16_t sport = u16(u, 0), dport = u16(u, 2);
    const std::size_t ulen = u16(u, 4);
    bytes payload = u.subspan(8);
    if (ulen >= 8 && ulen - 8 < payload.size()) payload = payload.first(ulen - 8);
    if (payload.empty()) return;
    if (auto r = parse_dns(payload, dns_port(sport) || dns_port(dport))) {
      add_dns(std::move(*r), "udp", pk.src, sport, pk.dst, dport, std::get<0>(fk), when);
    }
  }

  std::size_t flow_of(const std::string& tkey, const packet_facts& pk, const flow_tunnel* tunnel,
                      const std::string& when, bool& forward) {
    const bool syn = (pk.tcp_flags & 0x02) && !(pk.tcp_flags & 0x10);
    const bool syn_ack = (pk.tcp_flags & 0x12) == 0x12;
    flow_key fwd{tkey, pk.protocol, pk.src, pk.sport, pk.dst, pk.dport};
    flow_key rev{tkey, pk.protocol, pk.dst, pk.dport, pk.src, pk.sport};
    auto it = index_.find(fwd);
    forward = true;
    if (it == index_.end()) {
      it = index_.find(rev);
      forward = false;
    }
    if (it != index_.end()) return it->second;
    flow f;
    f.protocol = pk.protocol;
    // Orient from the client: the SYN sender; a SYN-ACK's receiver; else the higher port.
    const bool flip = syn_ack || (!syn && pk.protocol == "tcp" && pk.sport < pk.dport);
    f.src = flip ? pk.dst : pk.src;
    f.dst = flip ? pk.src : pk.dst;
    f.sport = flip ? pk.dport : pk.sport;
    f.dport = flip ? pk.sport : pk.dport;
    f.first_seen = when;
    if (tunnel) f.tunnel = *tunnel;
    s.flows.push_back(std::move(f));
    forward = !flip;
    return index_.emplace(flip ? rev : fwd, s.flows.size() - 1).first->second;
  }

  void count(std::size_t index, bool forward, std::uint64_t length, const std::string& when,
             bool fragment) {
    flow& f = s.flows[index];
    ++f.packets;
    f.bytes += length;
    if (!forward) ++f.packets_back;
    if (fragment) ++f.fragments;
    if (when < f.first_seen) f.first_seen = when;
    if (when > f.last_seen) f.last_seen = when;
  }

  void add_dns(dns_record d, const char* transport, const std::string& src, std::uint16_t sport,
               const std::string& dst, std::uint16_t dport, const std::string& tkey,
               const std::string& when) {
    d.time = when;
    d.transport = transport;
    d.client = d.response ? dst : src;
    d.server = d.response ? src : dst;
    d.client_port = d.response ? dport : sport;
    d.server_port = d.response ? sport : dport;
    d.tunnel = tkey.substr(0, tkey.find('/'));
    ++s.stats.dns_messages;
    if (d.malformed) ++s.stats.dns_malformed;
    if (d.transport == "tcp") ++s.stats.dns_tcp;
    s.dns.push_back(std::move(d));
  }

  void follow_tcp(std::size_t index, bool forward, const packet_facts& pk, const std::string& tkey,
                  const std::string& when) {
    tcp_stream& st = streams_[{index, forward}];
    if (st.dead) return;
    bytes data = pk.l4_payload;
    if (!st.started) {
      st.on_dns_port = dns_port(pk.sport) || dns_port(pk.dport);
      const bool plausible =
          st.on_dns_port ? data.size() >= 2 && u16(data, 0) >= 12 : plausible_dns_over_tcp(data);
      if (!plausible) {
        st.dead = true;
        return;
      }
      st.started = true;
      st.next = pk.seq;
      st.src = pk.src;
      st.dst = pk.dst;
      st.sport = pk.sport;
      st.dport = pk.dport;
      st.tunnel = tkey;
    }
    const auto ahead = static_cast<std::int32_t>(pk.seq - st.next);
    if (ahead > 0) {  // a segment is missing: the message boundaries are lost
      st.dead = true;
      st.buf.clear();
      return;
    }
    const auto seen = static_cast<std::size_t>(-static_cast<std::int64_t>(ahead));
    if (seen >= data.size()) return;  // a retransmission
    data = data.subspan(seen);
    st.buf.insert(st.buf.end(), data.begin(), data.end());
    st.next += static_cast<std::uint32_t>(data.size());
    st.last_time = when;
    while (st.buf.size() >= 2) {
      const std::size_t len = u16(st.buf, 0);
      if (st.buf.size() < 2 + len) break;
      auto d = parse_dns(bytes(st.buf).subspan(2, len), st.on_dns_port || st.accepted);
      if (!d) {  // not DNS after all
        st.dead = true;
        st.buf.clear();
        return;
      }
      st.accepted = true;
      add_dns(std::move(*d), "tcp", st.src, st.sport, st.dst, st.dport, tkey, when);
      st.buf.erase(st.buf.begin(), st.buf.begin() + static_cast<std::ptrdiff_t>(2 + len));
    }
  }
};

}  // namespace

capture_summary read_capture(const std::filesystem::path& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_ptr p{::pcap_open_offline(path.c_str(), errbuf)};
  if (!p) throw error(errc::pcap, "cannot read capture " + path.string() + ": " + errbuf);
  capture_decoder d;
  d.s.stats.read = true;
  const int linktype = ::pcap_datalink(p.get());
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int rc = 0;
  while ((rc = ::pcap_next_ex(p.get(), &header, &data)) == 1) {
    ++d.s.stats.packets;
    const std::string when = io::format_rfc3339(
        header->ts.tv_sec, std::int64_t{header->ts.tv_usec} * 1000, io::time_precision::micros);
    // The original length, unless the file lies about it being shorter than what it holds.
    const std::uint64_t wire = std::max<std::uint64_t>(header->len, header->caplen);
    d.frame(linktype, bytes(data, header->caplen), wire, when, nullptr, 0);
  }
  d.finish();
  if (rc == -1) {
    d.s.warnings.push_back("capture read stopped early: " + std::string(::pcap_geterr(p.get())));
  }
  return std::move(d.s);
}

}  // namespace forensic::analysis::detail
