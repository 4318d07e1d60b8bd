#pragma once
// What the tools report, in the two schemas SIEMs ingest: Elastic Common Schema (ECS 8.x) and the
// Open Cybersecurity Schema Framework (OCSF 1.7), one JSON object per line (docs/formats.md).
//
// A `siem_record` is what one line says, independent of the schema: a finding (an alert) or an
// observed activity of a process, a file or a network flow, with the container it belongs to.
// Every producer fills records (ir-analyze's findings and timeline, ir-locate's answers,
// ir-ps's risk flags; a hunting tool's findings the same way), and `to_ecs` / `to_ocsf` map
// them. Field names are the published ones (tests/fixtures/siem/ holds the excerpts the tests
// check them against); what neither schema names goes under `forensic` (ECS) or `unmapped`
// (OCSF), never into a field of another meaning.
//
// Strings that came from a container (paths, command lines, names) are carried raw, as JSON
// strings: a SIEM stores them; whoever shows them to a person escapes them.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forensic/analysis/analyzer.hpp"
#include "forensic/engine/containers.hpp"
#include "forensic/hunt/hunt.hpp"
#include "forensic/net/locate.hpp"
#include "forensic/proc/escape_audit.hpp"

namespace forensic::formats {

struct siem_process {
  std::int64_t pid = 0;   // host pid; 0 when unknown
  std::int64_t vpid = 0;  // pid inside the container's pid namespace; 0 when unknown
  std::string name;       // comm
  std::string executable;
  std::vector<std::string> args;
  std::string command_line;  // args joined by spaces when only the joined form is known
  std::string start;         // RFC 3339 UTC
};

struct siem_file {
  std::string path;  // as the container sees it
  std::string sha256;
  std::string mtime;  // RFC 3339 UTC
};

struct siem_endpoint {
  std::string ip;
  std::uint16_t port = 0;
};

struct siem_network {
  std::string transport;  // "tcp", "udp", "icmp", ...
  siem_endpoint source, destination;
  std::optional<siem_endpoint> source_nat;  // the source as seen outside the host (conntrack)
  std::uint64_t packets = 0, bytes = 0;
};

struct siem_indicator {
  std::string type;  // ECS threat.indicator.type: "ipv4-addr", "ipv6-addr", "domain-name", "file"
  std::string value;
};

// What kind of line it is. A finding is an alert (ECS event.kind "alert", OCSF Detection
// Finding); the others are events of what was observed (ECS event.kind "event"; OCSF Process
// Activity, File System Activity, Network Activity).
enum class siem_class { finding, process, file, network };

struct siem_record {
  siem_class what = siem_class::finding;
  std::string time;      // RFC 3339 UTC of what happened; empty: the time of the report
  std::string rule;      // stable identifier: "temp_file", "locate.socket", "risk.PRIVILEGED"
  std::string category;  // the project's own: "filesystem", "process", "network", "ioc",
                         // "integrity", "configuration"
  std::string action;    // for activities: "start", "creation", "change", "access", "connection"
  std::string message;   // one line (raw)
  analysis::severity level = analysis::severity::info;
  std::string tool;    // "ir-analyze", "ir-locate", "ir-ps"
  std::string source;  // where it comes from: a bundle file, "kernel sockets", "engine inspect"
  std::string container_id, container_name, container_image;
  std::optional<siem_process> process;
  std::optional<siem_file> file;
  std::optional<siem_network> network;
  std::optional<siem_indicator> indicator;
  // "attacker-settable", "kernel" or "engine" for timeline events; empty otherwise.
  std::string time_source;
  nlohmann::json details = nlohmann::json::object();  // the producer's own facts
};

// Who reports: written into every line (ECS host/observer/labels, OCSF metadata/device).
struct siem_context {
  std::string host;     // this host's name
  std::string now;      // RFC 3339 UTC: when the report was made
  std::string case_id;  // empty when none
  std::string version;  // libforensic's version
};

// The host name (gethostname), the current time and the library version.
siem_context current_context(std::string case_id = {});

enum class siem_format { ecs, ocsf };
// "ecs" or "ocsf"; nullopt for anything else.
std::optional<siem_format> parse_siem_format(std::string_view name);

nlohmann::json to_ecs(const siem_record& r, const siem_context& c);
nlohmann::json to_ocsf(const siem_record& r, const siem_context& c);
// One JSON object per line, '\n' after each; invalid UTF-8 in strings is replaced (U+FFFD).
std::string to_json_lines(const std::vector<siem_record>& records, siem_format format,
                          const siem_context& c);

// ir-analyze: every finding (severity order) and every timeline event (time order).
std::vector<siem_record> siem_records(const analysis::analysis_report& r);
// ir-locate: every match (owner, socket, conntrack, packet).
std::vector<siem_record> siem_records(const net::locate_result& r);
// ir-ps: one finding per risk flag of each container ("risk.PRIVILEGED", ...).
std::vector<siem_record> siem_records(const std::vector<engine::container>& containers);
// ir-ps with the kernel's escape audit: the engine's flags as above, then for each container
// the audit's flags that the engine's do not already name ("kernel.CAP_SYS_MODULE", ...;
// source "kernel /proc"). `audits` is in the order of `containers`; an audit not collected
// adds nothing.
std::vector<siem_record> siem_records(const std::vector<engine::container>& containers,
                                      const std::vector<proc::escape_audit>& audits);
// ir-hunt: one finding per kernel-against-engine finding ("hunt.unowned_namespace", ...).
std::vector<siem_record> siem_records(const hunt::hunt_report& r);

}  // namespace forensic::formats
