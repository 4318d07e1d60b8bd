#pragma once
// Shared state of one analysis run, handed to each part (filesystem, processes, network,
// capture, logs). Each part reads its bundle files defensively and adds findings and events.
#include <filesystem>
#include <optional>
#include <string>

#include "forensic/analysis/analyzer.hpp"

namespace forensic::analysis::detail {

struct context {
  std::filesystem::path root;
  const analysis_options& options;
  analysis_report& report;

  // The bundle file, when present (and recorded as read or missing).
  std::optional<std::filesystem::path> file(const std::string& relative);
  // Parses a JSON bundle file; nullopt (with a warning) when absent or malformed.
  std::optional<nlohmann::json> json_file(const std::string& relative);

  void add(finding f) { report.findings.push_back(std::move(f)); }
  void event(std::string time, std::string kind, std::string summary, std::string source,
             time_source clock, nlohmann::json facts = nlohmann::json::object());
  // An IOC hit becomes a high finding naming where the indicator was seen.
  void ioc_hit(const ioc_entry& e, const std::string& matched, const std::string& where,
               const std::string& source, const std::string& time = {});
  // IOC addresses and domains mentioned in a piece of text (a crontab, a log line).
  void ioc_scan_text(std::string_view text, const std::string& where, const std::string& source,
                     const std::string& time = {});
};

void analyze_filesystem(context& c);
void analyze_processes(context& c);
void analyze_network_json(context& c);
void analyze_capture(context& c);
void analyze_logs(context& c);
// Timeline events from the MAC and birth times of filesystem/bodyfile.txt (bodyfile_times.cpp).
void analyze_bodyfile(context& c);
// `docker exec` history from engine/events.jsonl (engine_events.cpp).
void analyze_engine_events(context& c);
// Escape risks the kernel showed (processes/escape-audit.json, escape.cpp).
void analyze_escape(context& c);
// What the bundle holds of each artifact and what the missing ones hide (coverage.cpp).
void analyze_coverage(context& c);
// YARA rules over the export, deep paths, mount tars and memory cores (yara_scan.cpp).
void analyze_yara(context& c);
// Kernel-against-engine findings from hunt/hunt.json (hunt_findings.cpp).
void analyze_hunt(context& c);

// Tools an intruder uses to reach out or pivot (nc, socat, chisel, xmrig...), by command name.
bool is_network_tool(const std::string& comm);

// Normalises a container path from the diff or a tar entry to "/a/b" ("./a/b", "a/b/").
std::string normal_path(std::string_view raw);

}  // namespace forensic::analysis::detail
