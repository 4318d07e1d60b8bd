// ir-analyze's flows and DNS against tshark as the oracle. Captures are crafted with scapy
// (tests/support/traffic_captures.py: DNS over UDP and TCP, on 53 and other ports, malformed DNS,
// BIG TCP and jumbograms, malformed IP, fragments, VXLAN and Geneve) or captured by ir-capture
// from test containers on an --internal network. For each file, the flows (5-tuple, packets,
// bytes) and DNS query names ir-analyze reports must equal what the test builds from
// `tshark -T fields`; where the two legitimately differ, the test says why next to the case.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/scratch.hpp"
#include "support/testbed.hpp"

using namespace forensic::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct counts {
  std::uint64_t packets = 0, bytes = 0;
  bool operator==(const counts&) const = default;
};

using flow_map = std::map<std::string, counts>;

std::string endpoint(const std::string& addr, const std::string& port) {
  return addr + "#" + (port.empty() ? "0" : port);
}

// "[tunnel ]proto lower-endpoint upper-endpoint": the 5-tuple without orientation.
std::string flow_key(const std::string& tunnel, const std::string& proto, const std::string& a,
                     const std::string& pa, const std::string& b, const std::string& pb) {
  auto x = endpoint(a, pa), y = endpoint(b, pb);
  if (y < x) std::swap(x, y);
  return (tunnel.empty() ? "" : tunnel + " ") + proto + " " + x + " " + y;
}

std::string show(const flow_map& m) {
  std::string out;
  for (const auto& [k, c] : m) {
    out +=
        k + ": " + std::to_string(c.packets) + " packets, " + std::to_string(c.bytes) + " bytes\n";
  }
  return out;
}

std::string proto_name(const std::string& number) {
  if (number == "6") return "tcp";
  if (number == "17") return "udp";
  if (number == "1") return "icmp";
  if (number == "58") return "icmpv6";
  return number;
}

const std::vector<std::string> fields = {"frame.len",
                                         "ip.src",
                                         "ip.dst",
                                         "ip.proto",
                                         "ip.len",
                                         "ip.id",
                                         "ip.frag_offset",
                                         "ip.flags.mf",
                                         "ipv6.src",
                                         "ipv6.dst",
                                         "ipv6.plen",
                                         "ipv6.opt.jumbo",
                                         "ipv6.fraghdr.offset",
                                         "ipv6.fraghdr.more",
                                         "ipv6.fraghdr.ident",
                                         "ipv6.fraghdr.nxt",
                                         "tcp.srcport",
                                         "tcp.dstport",
                                         "udp.srcport",
                                         "udp.dstport",
                                         "vxlan.vni",
                                         "geneve.vni",
                                         "dns.qry.name",
                                         "_ws.malformed",
                                         "icmpv6.type",
                                         "ipv6.nxt"};

enum f {
  frame_len,
  ip_src,
  ip_dst,
  ip_proto,
  ip_len,
  ip_id,
  ip_off,
  ip_mf,
  v6_src,
  v6_dst,
  v6_plen,
  v6_jumbo,
  v6_off,
  v6_more,
  v6_id,
  v6_nxt,
  tcp_sport,
  tcp_dport,
  udp_sport,
  udp_dport,
  vxlan_vni,
  geneve_vni,
  dns_name,
  malformed,
  icmpv6_type,
  v6_next
};

// One packet: for each field, its occurrences from the outermost layer in.
using packet_fields = std::vector<std::vector<std::string>>;

// Memoized: the same view of a file serves the flows and the DNS names.
const std::vector<packet_fields>& tshark(const std::string& file,
                                         const std::vector<std::string>& extra) {
  static std::map<std::vector<std::string>, std::vector<packet_fields>> seen;
  std::vector<std::string> argv{"tshark", "-n", "-r", file};
  argv.insert(argv.end(), extra.begin(), extra.end());
  for (const char* a :
       {"-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|", "-E", "separator=/t"}) {
    argv.emplace_back(a);
  }
  for (const auto& f : fields) {
    argv.emplace_back("-e");
    argv.push_back(f);
  }
  if (auto it = seen.find(argv); it != seen.end()) return it->second;
  auto r = run(argv);
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  auto& out = seen[argv];
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    packet_fields p(fields.size());
    std::size_t start = 0;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      auto tab = line.find('\t', start);
      std::string v = line.substr(start, tab == std::string::npos ? tab : tab - start);
      start = tab == std::string::npos ? line.size() : tab + 1;
      std::size_t s = 0;
      while (!v.empty() && s <= v.size()) {
        auto bar = v.find('|', s);
        p[i].push_back(v.substr(s, bar == std::string::npos ? bar : bar - s));
        if (bar == std::string::npos) break;
        s = bar + 1;
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

const std::string& first(const packet_fields& p, f i) {
  static const std::string none;
  return p[i].empty() ? none : p[i].front();
}
const std::string& last(const packet_fields& p, f i) {
  static const std::string none;
  return p[i].empty() ? none : p[i].back();
}
std::uint64_t number(const std::string& s) { return s.empty() ? 0 : std::stoull(s, nullptr, 0); }

// The flows as tshark sees them, with IP reassembly off (so that each fragment is its own
// frame) and the tunnels' dissectors off (the outer flows). Bytes per packet: the IP length
// field (ip.len, ipv6.plen + 40, or the jumbo option + 40) and, when it is 0, the frame's length
// on the wire less its 14-byte Ethernet header. Fragments are attributed by the test the way
// RFC 791 reassembly does: to the first fragment with the same addresses, protocol and id; a
// fragment whose first fragment is not in the file forms a "fragments" flow.
flow_map oracle_flows(const std::string& file, const std::vector<std::string>& decode_as = {}) {
  std::vector<std::string> outer{
      "-o",    "ip.defragment:FALSE", "-o",    "ipv6.defragment:FALSE", "--disable-protocol",
      "vxlan", "--disable-protocol",  "geneve"};
  outer.insert(outer.end(), decode_as.begin(), decode_as.end());
  flow_map flows;
  std::map<std::string, std::string> first_fragment;  // src dst proto id -> flow
  std::vector<std::pair<std::string, counts>> later;  // fragment key, its counts
  for (const auto& p : tshark(file, outer)) {
    const bool v4 = !first(p, ip_src).empty(), v6 = !first(p, v6_src).empty();
    if (!v4 && !v6) continue;  // ARP and the like: not IP, ir-analyze's "undecoded"
    const std::uint64_t wire = number(first(p, frame_len)) - 14;
    std::string src = v4 ? first(p, ip_src) : first(p, v6_src);
    std::string dst = v4 ? first(p, ip_dst) : first(p, v6_dst);
    std::uint64_t len = 0;
    std::string proto, id;
    bool later_fragment = false, first_of_several = false;
    if (v4) {
      len = number(first(p, ip_len));
      proto = first(p, ip_proto);
      id = first(p, ip_id);
      later_fragment = number(first(p, ip_off)) != 0;
      first_of_several = !later_fragment && first(p, ip_mf) == "1";
    } else {
      const auto plen = number(first(p, v6_plen)), jumbo = number(first(p, v6_jumbo));
      len = plen ? 40 + plen : (jumbo ? 40 + jumbo : 0);
      if (!p[v6_id].empty()) {
        proto = first(p, v6_nxt);
        id = first(p, v6_id);
        later_fragment = number(first(p, v6_off)) != 0;
        first_of_several = !later_fragment && first(p, v6_more) == "1";
      } else if (!p[tcp_sport].empty()) {
        proto = "6";
      } else if (!p[udp_sport].empty()) {
        proto = "17";
      } else if (!p[icmpv6_type].empty()) {
        proto = "58";
      } else if (!p[malformed].empty()) {
        proto = "malformed";  // the extension header chain did not decode: no transport
      } else {
        proto = last(p, v6_next);
      }
    }
    counts c{1, len == 0 ? wire : std::min(len, wire)};
    const std::string fkey = src + " " + dst + " " + proto + " " + id;
    if (later_fragment) {
      later.emplace_back(fkey, c);
      continue;
    }
    std::string sport, dport;
    if (proto == "6") {
      sport = first(p, tcp_sport);
      dport = first(p, tcp_dport);
    } else if (proto == "17") {
      sport = first(p, udp_sport);
      dport = first(p, udp_dport);
    }
    // tshark marks the packet malformed and stops before the transport: no ports.
    if ((proto == "6" || proto == "17") && sport.empty() && !p[malformed].empty()) {
      proto = "malformed";
    }
    const auto key = flow_key("", proto_name(proto), src, sport, dst, dport);
    flows[key].packets += c.packets;
    flows[key].bytes += c.bytes;
    if (first_of_several) first_fragment[fkey] = key;
  }
  for (const auto& [fkey, c] : later) {
    auto it = first_fragment.find(fkey);
    std::string key;
    if (it != first_fragment.end()) {
      key = it->second;
    } else {
      std::istringstream words(fkey);
      std::string src, dst;
      words >> src >> dst;
      key = flow_key("", "fragments", src, "", dst, "");
    }
    flows[key].packets += c.packets;
    flows[key].bytes += c.bytes;
  }
  // The inner flows of VXLAN and Geneve: the innermost IP layer of the packets tshark
  // decapsulated.
  for (const auto& p : tshark(file, decode_as)) {
    std::string tunnel;
    if (!p[vxlan_vni].empty()) tunnel = "vxlan/" + std::to_string(number(first(p, vxlan_vni)));
    if (!p[geneve_vni].empty()) tunnel = "geneve/" + std::to_string(number(first(p, geneve_vni)));
    if (tunnel.empty() || p[ip_src].size() < 2) continue;
    const std::string proto = last(p, ip_proto);
    std::string sport, dport;
    if (proto == "6") {
      sport = last(p, tcp_sport);
      dport = last(p, tcp_dport);
    } else if (proto == "17") {
      sport = last(p, udp_sport);
      dport = last(p, udp_dport);
    }
    const auto key =
        flow_key(tunnel, proto_name(proto), last(p, ip_src), sport, last(p, ip_dst), dport);
    flows[key].packets += 1;
    flows[key].bytes += number(last(p, ip_len));
  }
  return flows;
}

// DNS query names tshark decodes (TCP reassembled, as it does by default), one per message.
std::multiset<std::string> oracle_dns(const std::string& file,
                                      const std::vector<std::string>& decode_as = {}) {
  std::multiset<std::string> names;
  for (const auto& p : tshark(file, decode_as)) {
    // An ICMP error quotes the datagram it answers: tshark decodes the quoted DNS query again,
    // ir-analyze counts the query once, where it was sent.
    if (first(p, ip_proto) == "1" || !p[icmpv6_type].empty()) continue;
    for (const auto& n : p[dns_name]) names.insert(n);
  }
  return names;
}

struct analysis {
  flow_map flows;
  std::multiset<std::string> dns;  // names of the records that decoded
  json doc;
};

// ir-analyze --json on a bundle holding only the capture.
analysis analyze(const temp_dir& s, const std::string& file) {
  const fs::path bundle = s.path / ("bundle-" + fs::path(file).stem().string());
  fs::create_directories(bundle / "capture");
  fs::copy_file(file, bundle / "capture" / "capture.pcapng", fs::copy_options::overwrite_existing);
  auto r = run_tool("ir-analyze", {bundle.string(), "--json"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  analysis a;
  a.doc = json::parse(r.out);
  for (const auto& f : a.doc["flows"]) {
    std::string tunnel;
    if (!f["tunnel"].is_null()) {
      tunnel = f["tunnel"]["type"].get<std::string>() + "/" +
               std::to_string(f["tunnel"]["vni"].get<std::uint32_t>());
    }
    const auto key =
        flow_key(tunnel, f["protocol"], f["src"], std::to_string(f["sport"].get<int>()), f["dst"],
                 std::to_string(f["dport"].get<int>()));
    a.flows[key].packets += f["packets"].get<std::uint64_t>();
    a.flows[key].bytes += f["bytes"].get<std::uint64_t>();
  }
  for (const auto& d : a.doc["dns"]) {
    if (!d["malformed"].get<bool>()) a.dns.insert(d["name"].get<std::string>());
  }
  return a;
}

void check_flows(const flow_map& ours, const flow_map& oracle) {
  INFO("ir-analyze:\n" << show(ours) << "tshark:\n" << show(oracle));
  CHECK(ours == oracle);
}

// The crafted captures, written once per run of the test program.
struct crafted_captures {
  temp_dir s{"ir-traffic-it"};
  crafted_captures() {
    auto r = run({"/usr/bin/python3",
                  std::string(FORENSIC_SOURCE_DIR) + "/tests/support/traffic_captures.py",
                  s.path.string()});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  }
  std::string operator/(const std::string& name) const { return (s.path / name).string(); }
};

const crafted_captures& crafted() {
  static const crafted_captures c;
  return c;
}

}  // namespace

TEST_CASE("tshark oracle: DNS over UDP and TCP, on 53 and on other ports") {
  const auto& c = crafted();
  for (const char* name : {"dns-udp.pcap", "dns-tcp.pcap"}) {
    INFO(name);
    auto a = analyze(c.s, c / name);
    check_flows(a.flows, oracle_flows(c / name));
    CHECK(a.dns == oracle_dns(c / name));
    CHECK_FALSE(a.dns.empty());
  }
  auto tcp = analyze(c.s, c / "dns-tcp.pcap");
  CHECK(tcp.doc["capture"]["dns_tcp"] == 4);
  for (const auto& d : tcp.doc["dns"]) {
    CHECK(d["transport"] == "tcp");
    CHECK(d["server_port"] == 53);
  }
  // tshark decodes DNS on a port other than 53 only when told to (-d): ir-analyze finds it by
  // itself, so the oracle is told which ports carry DNS, and nothing else is DNS.
  const std::string other = c / "dns-other-ports.pcap";
  const std::vector<std::string> decode_as{"-d", "udp.port==8053,dns", "-d", "tcp.port==5300,dns"};
  auto a = analyze(c.s, other);
  check_flows(a.flows, oracle_flows(other, decode_as));
  CHECK(a.dns == oracle_dns(other, decode_as));
  CHECK(a.dns ==
        std::multiset<std::string>{"tunnel.c2.example", "tunnel.c2.example", "tcp.c2.example"});
  for (const auto& d : a.doc["dns"]) {
    CHECK(d["server"] == "203.0.113.70");
    CHECK((d["server_port"] == 8053 || d["server_port"] == 5300));
  }
}

TEST_CASE("tshark oracle: malformed DNS is kept and flagged") {
  const auto& c = crafted();
  const std::string file = c / "dns-malformed.pcap";
  auto a = analyze(c.s, file);
  check_flows(a.flows, oracle_flows(file));
  // tshark marks all three malformed, and in place of the name shows "<Name contains a pointer
  // that loops>", "<Name too long>", or none (the forward pointer): ir-analyze keeps what it
  // read before the fault ("c2", "", the first 240 octets), so names are compared to ours, and
  // tshark's verdict is checked packet by packet.
  for (const auto& p : tshark(file, {})) {
    const bool flagged =
        !p[malformed].empty() || (!p[dns_name].empty() && p[dns_name][0].rfind("<Name", 0) == 0);
    CHECK(flagged);
  }
  REQUIRE(a.doc["dns"].size() == 3);
  CHECK(a.doc["capture"]["dns_malformed"] == 3);
  CHECK(a.doc["dns"][0]["name"] == "c2");
  CHECK(a.doc["dns"][0]["problem"] == "question: compression pointer points forward");
  CHECK(a.doc["dns"][1]["problem"] == "question: compression pointer loops");
  CHECK(a.doc["dns"][2]["problem"] == "question: name longer than 255 octets");
  bool finding = false;
  for (const auto& f : a.doc["findings"]) finding |= f["kind"] == "dns_malformed";
  CHECK(finding);
}

TEST_CASE("tshark oracle: bytes of BIG TCP, offload and jumbograms") {
  const auto& c = crafted();
  const std::string file = c / "bytes.pcap";
  auto a = analyze(c.s, file);
  auto oracle = oracle_flows(file);
  // IPv6 BIG TCP as a capturing host sees it (payload length 0, no jumbo option: the kernel
  // drops the option before the packet reaches the tap): tshark calls the packet malformed and
  // decodes no TCP; ir-analyze takes the length from the frame and decodes the TCP header.
  const auto malformed_v6 = flow_key("", "malformed", "2001:db8::2", "", "2001:db8::70", "");
  REQUIRE(oracle.count(malformed_v6) == 1);
  CHECK(oracle[malformed_v6].bytes == 40 + 80000);
  oracle[flow_key("", "tcp", "2001:db8::2", "40023", "2001:db8::70", "443")] = oracle[malformed_v6];
  oracle.erase(malformed_v6);
  check_flows(a.flows, oracle);
  const auto tcp = [&](const char* src, const char* sport, const char* dst) {
    return a.flows[flow_key("", "tcp", src, sport, dst, "443")].bytes;
  };
  CHECK(tcp("172.18.0.2", "40020", "203.0.113.70") == 150000);
  CHECK(tcp("172.18.0.2", "40021", "203.0.113.70") == 60000);
  CHECK(tcp("2001:db8::2", "40022", "2001:db8::70") == 40 + 100008);
}

TEST_CASE("tshark oracle: malformed IP keeps its addresses, and fragments join their flow") {
  const auto& c = crafted();
  const std::string bad = c / "malformed-ip.pcap";
  auto a = analyze(c.s, bad);
  auto oracle = oracle_flows(bad);
  // An IPv4 header length beyond the packet: tshark stops at "Bogus IP header length" and shows
  // no addresses; ir-analyze reads them (they lie inside the 20 bytes every IPv4 header has).
  oracle[flow_key("", "malformed", "172.18.0.2", "", "203.0.113.73", "")] = {1, 40};
  check_flows(a.flows, oracle);
  CHECK(a.doc["capture"]["malformed_ip"] == 3);
  CHECK(a.doc["capture"]["undecoded"] == 0);

  const std::string frags = c / "fragments.pcap";
  auto f = analyze(c.s, frags);
  check_flows(f.flows, oracle_flows(frags));
  CHECK(f.doc["capture"]["fragments"] == 5);
  CHECK(f.doc["capture"]["unattributed_fragments"] == 1);
  for (const auto& fl : f.doc["flows"]) CHECK((fl["sport"] != 0 || fl["protocol"] == "fragments"));

  // A DNS answer in fragments: tshark reassembles them (as it does by default), so does
  // ir-analyze before reading the DNS.
  const std::string big = c / "dns-fragmented.pcap";
  auto d = analyze(c.s, big);
  check_flows(d.flows, oracle_flows(big));
  CHECK(d.dns == oracle_dns(big));
  CHECK(d.dns.count("big.txt.example") == 2);
}

TEST_CASE("tshark oracle: VXLAN and Geneve inner flows, with their tunnel") {
  const auto& c = crafted();
  for (const char* name : {"vxlan.pcap", "geneve.pcap"}) {
    INFO(name);
    auto a = analyze(c.s, c / name);
    check_flows(a.flows, oracle_flows(c / name));
    CHECK(a.dns == oracle_dns(c / name));
    CHECK(a.doc["capture"]["tunneled"] == 3);
    std::size_t inner = 0;
    for (const auto& fl : a.doc["flows"]) {
      if (fl["tunnel"].is_null()) continue;
      ++inner;
      CHECK(fl["tunnel"]["outer_src"] == "192.168.50.10");
      CHECK(fl["src"] == "10.0.9.2");
    }
    CHECK(inner == 2);  // the DNS exchange and the TCP SYN
  }
}

TEST_CASE("tshark oracle: real traffic of test containers on an internal network") {
  REQUIRE(engine_available());
  testbed bed;
  const auto net = bed.network("oracle", {"--internal"});
  // a answers DNS over TCP with whatever it is sent back (an echo is enough for the framing)
  // and serves HTTP; b queries over UDP (nothing answers: ICMP port unreachable comes back),
  // over TCP, and fetches a page.
  const auto a =
      bed.container("a", {"--network", net},
                    {"sh", "-c", "httpd -p 8080 -h /etc; while true; do nc -l -p 53 -e cat; done"});
  const auto b = bed.container("b", {"--network", net});
  auto ip = bed.docker(
      {"inspect", "-f", "{{(index .NetworkSettings.Networks \"" + net + "\").IPAddress}}", a});
  while (!ip.empty() && (ip.back() == '\n' || ip.back() == ' ')) ip.pop_back();
  REQUIRE(!ip.empty());
  temp_dir s{"ir-traffic-it"};
  const std::string file = (s.path / "real.pcapng").string();
  // A query for real.oracle.example, length-prefixed, in octal escapes for busybox printf.
  const std::string tcp_query =
      "\\000\\045\\000\\007\\001\\000\\000\\001\\000\\000\\000\\000\\000\\000\\004real\\006oracle"
      "\\007example\\000\\000\\001\\000\\001";
  const std::string traffic =
      "sleep 0.5; docker exec " + b + " timeout 2 nslookup udp.oracle.example " + ip +
      " >/dev/null 2>&1; docker exec " + b + " sh -c \"printf '" + tcp_query + "' | nc -w 1 " + ip +
      " 53 >/dev/null\"; docker exec " + b + " wget -q -O /dev/null http://" + ip +
      ":8080/hostname; sleep 0.5";
  // ir-capture's netlink link dump is interrupted (EINTR) when links appear or vanish during
  // the dump, which other tests' veths do on a shared engine: the capture is then taken again.
  std::string err;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto r = sh("'" + tool("ir-capture") + "' --container " + b + " --duration 5 --write " + file +
                " >" + (s.path / "out.txt").string() + " 2>" + (s.path / "err.txt").string() +
                " & p=$!; for i in $(seq 100); do grep -q 'capturing on' " +
                (s.path / "err.txt").string() + " && break; kill -0 $p 2>/dev/null || break; " +
                "sleep 0.1; done; " + traffic + "; wait $p; echo $?");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    err = run({"cat", (s.path / "err.txt").string()}).out;
    if (r.out == "0\n") {
      err.clear();
      break;
    }
    if (err.find("Interrupted system call") == std::string::npos) break;
  }
  REQUIRE_MESSAGE(err.empty(), err);
  auto an = analyze(s, file);
  check_flows(an.flows, oracle_flows(file));
  const auto dns = oracle_dns(file);
  std::string ours, theirs;
  for (const auto& n : an.dns) ours += n + " ";
  for (const auto& n : dns) theirs += n + " ";
  INFO("ir-analyze: " << ours << "\ntshark: " << theirs << "\n"
                      << run({"tshark", "-n", "-r", file}).out << an.doc["dns"].dump());
  CHECK(an.dns == dns);
  CHECK(dns.count("udp.oracle.example") >= 1);
  CHECK(dns.count("real.oracle.example") >= 1);
  bool tcp_dns = false;
  for (const auto& d : an.doc["dns"]) tcp_dns |= d["transport"] == "tcp";
  CHECK(tcp_dns);
}
