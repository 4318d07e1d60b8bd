#pragma once
// What the analyzer tells the analyst: findings (each naming the bundle file it comes from),
// network flows and DNS seen in the capture, and timeline events in UTC.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace forensic::analysis {

enum class severity { info, low, medium, high };
const char* to_string(severity s) noexcept;

struct finding {
  std::string category;  // "integrity", "filesystem", "process", "network", "ioc"
  std::string kind;      // stable identifier: "temp_file", "persistence", "deleted_executable"...
  severity level = severity::info;
  std::string summary;  // one line for people (raw: escape before printing)
  std::string source;   // bundle-relative file it comes from: "engine/diff.json"
  std::string time;     // RFC 3339 UTC when the finding has one, else empty
  nlohmann::json details = nlohmann::json::object();  // machine-readable facts
};

// The encapsulation a flow was carried in (VXLAN, Geneve): the outer UDP endpoints of its first
// packet and the virtual network identifier.
struct flow_tunnel {
  std::string type;  // "vxlan", "geneve"
  std::uint32_t vni = 0;
  std::string outer_src, outer_dst;
  std::uint16_t outer_sport = 0, outer_dport = 0;
};

// One flow of the capture: a 5-tuple, oriented from the side that sent the first packet (or
// the SYN, for TCP).
struct flow {
  // "tcp", "udp", "icmp", "icmpv6", or the IP protocol number; "malformed" when the IP header
  // (or the IPv6 extension header chain, or the transport header) is truncated or bogus: the
  // addresses are known, ports are 0; "fragments" for non-first fragments whose first fragment
  // (which holds the ports) never came.
  std::string protocol;
  std::string src, dst;
  std::uint16_t sport = 0, dport = 0;
  std::uint64_t packets = 0, bytes = 0;  // both directions; bytes of IP packets on the wire
  std::uint64_t packets_back = 0;        // from dst to src
  std::uint64_t fragments = 0;           // non-first IP fragments counted in packets
  std::string first_seen, last_seen;     // RFC 3339 UTC, microseconds
  std::uint32_t syns = 0;                // TCP SYNs without ACK from src
  bool syn_answered = false;             // a SYN-ACK (or RST) came back
  std::optional<flow_tunnel> tunnel;     // set on flows decapsulated from VXLAN or Geneve
};

// What the capture held beyond its flows: how many packets could not be decoded and why.
struct capture_stats {
  bool read = false;  // false: no capture in the bundle, or it could not be opened (reason)
  std::string reason;
  std::uint64_t packets = 0;
  std::uint64_t undecoded = 0;     // not IPv4/IPv6 (ARP, ...) or too short for an IP header
  std::uint64_t malformed_ip = 0;  // IP packets in "malformed" flows
  std::uint64_t fragments = 0;     // non-first IP fragments
  std::uint64_t unattributed_fragments = 0;  // of them, in "fragments" flows
  std::uint64_t tunneled = 0;                // packets decapsulated from VXLAN or Geneve
  std::uint64_t dns_messages = 0, dns_malformed = 0, dns_tcp = 0;
};

struct dns_record {
  std::string time;
  std::string client, server;
  std::uint16_t client_port = 0, server_port = 0;
  std::string transport;  // "udp" or "tcp" (length-prefixed, reassembled from the stream)
  std::string name;       // the query name, without the trailing dot
  std::string type;       // "A", "AAAA", "CNAME", "TXT", ... or the number
  bool response = false;
  std::vector<std::string> answers;  // A/AAAA addresses and CNAME targets, in responses
  std::string rcode;                 // "NOERROR", "NXDOMAIN", ... in responses
  bool malformed = false;  // did not decode: the fields hold what was read before the fault
  std::string problem;     // why, when malformed ("question: compression pointer loops", ...)
  std::string tunnel;      // "vxlan" or "geneve" when carried in one, else ""
};

// Who set the clock of a timeline event, so an analyst knows which times an intruder could have
// forged: a file's mtime and atime are set to anything by `touch -d` (utimensat); its ctime and
// birth time, a process's start and a capture timestamp come from the kernel; a log line's and
// an engine event's time from the Docker engine.
enum class time_source { attacker_settable, kernel, engine };
const char* to_string(time_source s) noexcept;  // "attacker-settable", "kernel", "engine"

struct timeline_event {
  std::string time;  // RFC 3339 UTC; events sort by this text
  // "file_mtime", "file_atime", "file_ctime", "file_btime", "process_start", "exec", "log",
  // "flow_first", "dns"
  std::string kind;
  std::string summary;
  std::string source;
  time_source clock = time_source::kernel;
  // What the event is about, for machine consumers (SIEM and timeline formats): {"path"} for
  // file events; {"pid", "ns_pid", "comm", "exe", "cmdline" (array)} for process starts;
  // {"command"} for engine execs. Raw strings from the container. Not part of to_json.
  nlohmann::json facts = nlohmann::json::object();
};

nlohmann::json to_json(const finding& f);
nlohmann::json to_json(const flow& f);
nlohmann::json to_json(const dns_record& d);
nlohmann::json to_json(const capture_stats& s);
nlohmann::json to_json(const timeline_event& e);

}  // namespace forensic::analysis
