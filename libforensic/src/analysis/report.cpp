// The two forms of the report: JSON for SIEMs (docs/json-analysis.md) and Markdown for people.
// Everything that came from the container is escaped in Markdown (control bytes, table pipes,
// backticks, HTML), since it is attacker-chosen text.
#include <map>
#include <sstream>

#include "forensic/analysis/analyzer.hpp"
#include "forensic/text/terminal.hpp"

namespace forensic::analysis {
using nlohmann::json;

const char* to_string(severity s) noexcept {
  switch (s) {
    case severity::info:
      return "info";
    case severity::low:
      return "low";
    case severity::medium:
      return "medium";
    case severity::high:
      return "high";
  }
  return "info";
}

const char* to_string(time_source s) noexcept {
  switch (s) {
    case time_source::attacker_settable:
      return "attacker-settable";
    case time_source::kernel:
      return "kernel";
    case time_source::engine:
      return "engine";
  }
  return "kernel";
}

json to_json(const finding& f) {
  return {{"category", f.category}, {"kind", f.kind},     {"severity", to_string(f.level)},
          {"summary", f.summary},   {"source", f.source}, {"time", f.time},
          {"details", f.details}};
}

json to_json(const flow& f) {
  return {{"protocol", f.protocol},
          {"src", f.src},
          {"sport", f.sport},
          {"dst", f.dst},
          {"dport", f.dport},
          {"packets", f.packets},
          {"packets_back", f.packets_back},
          {"bytes", f.bytes},
          {"first_seen", f.first_seen},
          {"last_seen", f.last_seen},
          {"syns", f.syns},
          {"syn_answered", f.syn_answered},
          {"fragments", f.fragments},
          {"tunnel", f.tunnel ? json{{"type", f.tunnel->type},
                                     {"vni", f.tunnel->vni},
                                     {"outer_src", f.tunnel->outer_src},
                                     {"outer_sport", f.tunnel->outer_sport},
                                     {"outer_dst", f.tunnel->outer_dst},
                                     {"outer_dport", f.tunnel->outer_dport}}
                              : json(nullptr)},
          {"source", "capture/capture.pcapng"}};
}

json to_json(const dns_record& d) {
  return {{"time", d.time},
          {"client", d.client},
          {"client_port", d.client_port},
          {"server", d.server},
          {"server_port", d.server_port},
          {"transport", d.transport},
          {"tunnel", d.tunnel},
          {"name", d.name},
          {"type", d.type},
          {"response", d.response},
          {"answers", d.answers},
          {"rcode", d.rcode},
          {"malformed", d.malformed},
          {"problem", d.problem},
          {"source", "capture/capture.pcapng"}};
}

json to_json(const capture_stats& s) {
  if (!s.read) return {{"collected", false}, {"reason", s.reason}};
  return {{"collected", true},
          {"packets", s.packets},
          {"undecoded", s.undecoded},
          {"malformed_ip", s.malformed_ip},
          {"fragments", s.fragments},
          {"unattributed_fragments", s.unattributed_fragments},
          {"tunneled", s.tunneled},
          {"dns_messages", s.dns_messages},
          {"dns_malformed", s.dns_malformed},
          {"dns_tcp", s.dns_tcp},
          {"source", "capture/capture.pcapng"}};
}

json to_json(const timeline_event& e) {
  return {{"time", e.time},
          {"kind", e.kind},
          {"summary", e.summary},
          {"source", e.source},
          {"time_source", to_string(e.clock)},
          {"settable", e.clock == time_source::attacker_settable}};
}

json to_json(const coverage_entry& e) {
  return {{"artifact", e.artifact},
          {"status", e.status},
          {"reason", e.reason},
          {"hides", e.hides},
          {"files", e.files}};
}

json to_json(const analysis_report& r) {
  json doc = {
      {"schema", "forensic.analysis/1"},
      {"bundle", r.bundle},
      {"verification",
       {{"status", r.verification.status},
        {"files_checked", r.verification.files_checked},
        {"problems", r.verification.problems}}},
      {"container", {{"id", r.container_id}, {"name", r.container_name}, {"image", r.image}}},
      {"case", r.case_id},
      {"ioc_count", r.ioc_count},
      {"yara", r.yara},
      {"findings", json::array()},
      {"capture", to_json(r.capture)},
      {"flows", json::array()},
      {"dns", json::array()},
      {"sockets", r.sockets},
      {"conntrack", r.conntrack},
      {"timeline", json::array()},
      {"coverage", json::array()},
      {"files_read", r.files_read},
      {"files_missing", r.files_missing},
      {"warnings", r.warnings}};
  std::map<std::string, int> counts;
  for (const auto& f : r.findings) {
    doc["findings"].push_back(to_json(f));
    ++counts[to_string(f.level)];
  }
  doc["summary"] = counts;
  for (const auto& f : r.flows) doc["flows"].push_back(to_json(f));
  for (const auto& d : r.dns) doc["dns"].push_back(to_json(d));
  for (const auto& e : r.timeline) doc["timeline"].push_back(to_json(e));
  for (const auto& e : r.coverage) doc["coverage"].push_back(to_json(e));
  return doc;
}

namespace {

// Safe inside a Markdown table cell or inline text.
std::string md(std::string_view raw) {
  std::string escaped = text::escape_for_terminal(raw), out;
  for (char c : escaped) {
    switch (c) {
      case '|':
        out += "\\|";
        break;
      case '`':
        out += "\\`";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '*':
        out += "\\*";
        break;
      case '_':
        out += "\\_";
        break;
      case '[':
        out += "\\[";
        break;
      case ']':
        out += "\\]";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string code(std::string_view raw) {  // inline code that cannot be closed early
  std::string escaped = text::escape_for_terminal(raw);
  std::string out;
  for (char c : escaped) out += c == '`' ? '\'' : c;
  return "`` " + out + " ``";
}

std::string endpoint(const flow& f, const std::string& addr, std::uint16_t port) {
  if (f.protocol != "tcp" && f.protocol != "udp") return addr;
  const bool v6 = addr.find(':') != std::string::npos;
  return (v6 ? "[" + addr + "]" : addr) + ":" + std::to_string(port);
}

void findings_table(std::ostringstream& o, const analysis_report& r, const std::string& category) {
  o << "| severity | finding | source | time |\n|---|---|---|---|\n";
  for (const auto& f : r.findings) {
    if (f.category != category) continue;
    o << "| " << to_string(f.level) << " | " << md(f.summary);
    if (f.details.contains("content_head") && f.details["content_head"].is_string()) {
      std::string head = f.details["content_head"].get<std::string>().substr(0, 160);
      o << "<br>content: " << code(head);
    }
    if (f.details.contains("sha256") && f.details["sha256"].is_string()) {
      o << "<br>sha256 " << f.details["sha256"].get<std::string>();
    }
    o << " | `" << md(f.source) << "` | " << md(f.time) << " |\n";
  }
  o << "\n";
}

// What the bundle holds and what its gaps hide, before any finding: absent evidence gives no
// findings, and the reader must know what was never looked at.
void coverage_section(std::ostringstream& o, const analysis_report& r) {
  if (r.coverage.empty()) return;
  o << "## Coverage\n\n| artifact | status | reason | what it hides |\n|---|---|---|---|\n";
  for (const auto& e : r.coverage) {
    const bool gap = e.status != "present";
    o << "| " << md(e.artifact) << " | " << (gap ? "**" + md(e.status) + "**" : md(e.status))
      << " | " << md(e.reason) << " | " << md(e.hides) << " |\n";
  }
  o << "\n";
}

}  // namespace

std::string to_markdown(const analysis_report& r) {
  std::ostringstream o;
  std::map<severity, int> counts;
  std::map<std::string, int> per_category;
  for (const auto& f : r.findings) {
    ++counts[f.level];
    ++per_category[f.category];
  }
  o << "# Incident analysis: "
    << md(r.container_name.empty() ? "(unknown container)" : r.container_name) << "\n\n";
  o << "- Container: " << md(r.container_name) << " (" << md(r.container_id.substr(0, 12)) << ")"
    << (r.image.empty() ? "" : ", image " + md(r.image)) << "\n";
  if (!r.case_id.empty()) o << "- Case: " << md(r.case_id) << "\n";
  o << "- Bundle: `" << md(r.bundle) << "`\n";
  o << "- Integrity: **" << r.verification.status << "** (" << r.verification.files_checked
    << " files re-hashed against SHA256SUMS and manifest.json)\n";
  for (const auto& p : r.verification.problems) o << "  - " << md(p) << "\n";
  o << "- Findings: " << counts[severity::high] << " high, " << counts[severity::medium]
    << " medium, " << counts[severity::low] << " low, " << counts[severity::info] << " info\n";
  o << "- IOCs loaded: " << r.ioc_count << "\n";
  if (r.yara.is_object()) {
    o << "- YARA: " << r.yara.value("rules", 0) << " rule(s) over "
      << r.yara.value("members_scanned", 0) << " tar member(s) and "
      << r.yara.value("cores_scanned", 0) << " memory core(s): " << r.yara.value("matches", 0)
      << " match(es)\n";
  }
  if (!r.coverage.empty()) {
    std::string gaps;
    std::size_t present = 0;
    for (const auto& e : r.coverage) {
      if (e.status == "present")
        ++present;
      else
        gaps += (gaps.empty() ? "" : ", ") + md(e.artifact) + " (" + md(e.status) + ")";
    }
    o << "- Coverage: " << present << " of " << r.coverage.size() << " present"
      << (gaps.empty() ? "" : "; not whole: " + gaps) << " (see Coverage)\n";
  }
  o << "- All times are UTC.\n\n";
  if (r.verification.status == "failed") {
    o << "> **WARNING: this bundle failed verification.** Files changed or went missing after "
         "collection; treat every finding below as unproven.\n\n";
  }
  coverage_section(o, r);
  static const std::pair<const char*, const char*> sections[] = {
      {"ioc", "IOC hits"},      {"integrity", "Integrity"}, {"filesystem", "Filesystem"},
      {"process", "Processes"}, {"escape", "Escape risks"}, {"network", "Network"}};
  for (const auto& [cat, title] : sections) {
    if (!per_category.count(cat)) continue;
    o << "## " << title << "\n\n";
    findings_table(o, r, cat);
  }
  if (!r.flows.empty()) {
    o << "## Flows in the capture\n\n| proto | source | destination | packets (back) | bytes | "
         "first seen | last seen | SYN answered |\n|---|---|---|---|---|---|---|---|\n";
    std::size_t shown = 0;
    for (const auto& f : r.flows) {
      if (++shown > 200) {
        o << "| ... | " << r.flows.size() - 200 << " more in the JSON report | | | | | | |\n";
        break;
      }
      o << "| " << f.protocol
        << (f.tunnel ? " in " + f.tunnel->type + " " + std::to_string(f.tunnel->vni) : "") << " | "
        << endpoint(f, f.src, f.sport) << " | " << endpoint(f, f.dst, f.dport) << " | " << f.packets
        << " (" << f.packets_back << ") | " << f.bytes << " | " << f.first_seen << " | "
        << f.last_seen << " | "
        << (f.protocol != "tcp" || f.syns == 0 ? "-"
            : f.syn_answered                   ? "yes"
                                               : "**no**")
        << " |\n";
    }
    o << "\nSource: `capture/capture.pcapng`.\n\n";
  }
  if (!r.dns.empty()) {
    o << "## DNS\n\n| time | client | server | query | type | answers "
         "|\n|---|---|---|---|---|---|\n";
    for (const auto& d : r.dns) {
      std::string answers;
      for (const auto& a : d.answers) answers += (answers.empty() ? "" : ", ") + a;
      o << "| " << d.time << " | " << d.client << " | " << d.server << " | " << md(d.name)
        << (d.response ? " (answer, " + d.rcode + ")" : "")
        << (d.malformed ? " **malformed: " + md(d.problem) + "**" : "") << " (" << d.transport
        << " " << d.server_port << ") | " << d.type << " | " << md(answers) << " |\n";
    }
    o << "\nSource: `capture/capture.pcapng`.\n\n";
  }
  if (!r.timeline.empty()) {
    o << "## Timeline (UTC)\n\n| time | event | summary | source |\n|---|---|---|---|\n";
    for (const auto& e : r.timeline) {
      o << "| " << md(e.time) << " | " << e.kind
        << (e.clock == time_source::attacker_settable ? " (settable)" : "") << " | "
        << md(e.summary.substr(0, 200)) << " | `" << md(e.source) << "` |\n";
    }
    o << "\n";
  }
  o << "## Bundle files\n\n";
  for (const auto& f : r.files_read) o << "- read: `" << md(f) << "`\n";
  for (const auto& f : r.files_missing) o << "- missing: `" << md(f) << "`\n";
  for (const auto& w : r.warnings) o << "- warning: " << md(w) << "\n";
  return o.str();
}

}  // namespace forensic::analysis
