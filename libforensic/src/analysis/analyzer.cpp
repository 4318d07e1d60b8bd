#include "forensic/analysis/analyzer.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>

#include "analysis/context.hpp"
#include "analysis/json_fields.hpp"
#include "forensic/error.hpp"
#include "forensic/evidence/verify.hpp"

namespace forensic::analysis {
namespace fs = std::filesystem;
using nlohmann::json;

namespace detail {

std::string normal_path(std::string_view raw) {
  std::string out;
  std::size_t i = 0;
  while (i < raw.size()) {
    auto slash = raw.find('/', i);
    if (slash == std::string_view::npos) slash = raw.size();
    auto part = raw.substr(i, slash - i);
    if (!part.empty() && part != ".") out += "/" + std::string(part);
    i = slash + 1;
  }
  return out.empty() ? "/" : out;
}

std::optional<fs::path> context::file(const std::string& relative) {
  std::error_code ec;
  fs::path p = root / relative;
  // Never follow a link out of the bundle: evidence files are regular files.
  if (!fs::is_regular_file(fs::symlink_status(p, ec))) {
    auto& missing = report.files_missing;
    if (std::find(missing.begin(), missing.end(), relative) == missing.end()) {
      missing.push_back(relative);
    }
    return std::nullopt;
  }
  auto& read = report.files_read;
  if (std::find(read.begin(), read.end(), relative) == read.end()) read.push_back(relative);
  return p;
}

std::optional<json> context::json_file(const std::string& relative) {
  auto p = file(relative);
  if (!p) return std::nullopt;
  std::ifstream in(*p, std::ios::binary);
  auto doc = json::parse(in, nullptr, false);
  if (doc.is_discarded()) {
    report.warnings.push_back(relative + ": not valid JSON; skipped");
    return std::nullopt;
  }
  return doc;
}

void context::event(std::string time, std::string kind, std::string summary, std::string source,
                    time_source clock, nlohmann::json facts) {
  if (time.empty()) return;
  report.timeline.push_back({std::move(time), std::move(kind), std::move(summary),
                             std::move(source), clock, std::move(facts)});
}

void context::ioc_hit(const ioc_entry& e, const std::string& matched, const std::string& where,
                      const std::string& source, const std::string& time) {
  for (const auto& f : report.findings) {
    if (f.kind == "ioc_match" && f.source == source && f.details.value("where", "") == where &&
        f.details.value("indicator", "") == e.value) {
      return;  // the same place seen twice
    }
  }
  json d = {{"indicator", e.value},
            {"type", e.type},
            {"matched", matched},
            {"where", where},
            {"ioc_line", e.line}};
  if (!e.note.empty()) d["note"] = e.note;
  add({"ioc", "ioc_match", severity::high,
       "IOC " + e.type + " " + e.value + (e.note.empty() ? "" : " (" + e.note + ")") + " in " +
           where,
       source, time, d});
}

void context::ioc_scan_text(std::string_view text, const std::string& where,
                            const std::string& source, const std::string& time) {
  if (text.empty()) return;
  std::string lower(text);
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  // A match must not be part of a longer address or name; ':' continues only an IPv6 address
  // (after an IPv4 address or a name it starts a port).
  auto boundary = [&](std::size_t at, bool colon_continues) {
    if (at >= lower.size()) return true;
    const char ch = lower[at];
    return !(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' ||
             (ch == ':' && colon_continues));
  };
  for (const auto& e : options.iocs.entries()) {
    if (e.type != "ip" && e.type != "domain") continue;
    for (std::size_t at = lower.find(e.value); at != std::string::npos;
         at = lower.find(e.value, at + 1)) {
      const bool v6 = e.value.find(':') != std::string::npos;
      if ((at == 0 || boundary(at - 1, v6)) && boundary(at + e.value.size(), v6)) {
        ioc_hit(e, e.value, where, source, time);
        break;
      }
    }
  }
}

}  // namespace detail

namespace {

// The bundle checked exactly as ir-verify checks it (evidence::verify_bundle: SHA256SUMS,
// manifest.json, .partial), each thing it finds wrong as one line. Without SHA256SUMS nothing
// can be shown either way: "unverified" rather than "failed".
bundle_verification verification_of(const fs::path& bundle) {
  const auto report = evidence::verify_bundle(bundle);
  bundle_verification v;
  v.files_checked = report.files_checked;
  const auto list = [&](const std::vector<std::string>& items, const char* what) {
    for (const auto& i : items) v.problems.push_back(i + what);
  };
  list(report.missing, ": listed but missing (or not a regular file)");
  list(report.modified, ": sha256 mismatch");
  list(report.extra, ": present but not in SHA256SUMS");
  v.problems.insert(v.problems.end(), report.problems.begin(), report.problems.end());
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(bundle / "SHA256SUMS", ec))) {
    v.status = "unverified";
  } else {
    v.status = report.ok() ? "verified" : "failed";
  }
  return v;
}

}  // namespace

namespace {

using detail::text;

int category_rank(const std::string& c) {
  static const char* order[] = {"integrity", "ioc", "filesystem", "process", "escape", "network"};
  for (int i = 0; i < 6; ++i) {
    if (c == order[i]) return i;
  }
  return 6;
}

void read_identity(detail::context& c) {
  if (auto m = c.json_file("manifest.json"); m && m->is_object()) {
    const json container = m->value("container", json::object());
    if (container.is_object()) {
      c.report.container_id = text(container, "id");
      c.report.container_name = text(container, "name");
      c.report.image = text(container, "image");
    }
    if (c.report.container_id.empty()) c.report.container_id = text(*m, "container_id");
    if (c.report.container_name.empty()) c.report.container_name = text(*m, "container_name");
    const json cs = m->value("case", json());
    c.report.case_id = cs.is_string()   ? cs.get<std::string>()
                       : cs.is_object() ? text(cs, "id")
                                        : "";
  }
  if (auto i = c.json_file("engine/container-inspect.json"); i && i->is_object()) {
    if (c.report.container_id.empty()) c.report.container_id = text(*i, "Id");
    std::string name = text(*i, "Name");
    if (!name.empty() && name.front() == '/') name.erase(0, 1);
    if (c.report.container_name.empty()) c.report.container_name = name;
    const json cfg = i->value("Config", json::object());
    if (c.report.image.empty() && cfg.is_object()) c.report.image = text(cfg, "Image");
  }
}

}  // namespace

analysis_report analyze_bundle(const fs::path& bundle, const analysis_options& options) {
  std::error_code ec;
  if (!fs::is_directory(bundle, ec)) {
    throw error(errc::not_found, "bundle " + bundle.string() + " is not a directory");
  }
  analysis_report r;
  r.bundle = bundle.string();
  r.ioc_count = options.iocs.entries().size();
  for (const auto& e : options.iocs.errors()) r.warnings.push_back("IOC file: " + e);
  r.verification = verification_of(bundle);
  detail::context c{bundle, options, r};
  if (r.verification.status == "failed") {
    json d = {{"problems", r.verification.problems}};
    c.add({"integrity", "verification_failed", severity::high,
           "the bundle FAILED verification (" + std::to_string(r.verification.problems.size()) +
               " problem(s)): what follows may not be what was collected",
           "SHA256SUMS", "", d});
  }
  if (r.verification.status == "unverified") {
    c.add({"integrity",
           "unverified",
           severity::medium,
           "the bundle has no SHA256SUMS: its integrity cannot be shown",
           "SHA256SUMS",
           "",
           {}});
  }
  // Bundle JSON is read as its holder left it. A field of an unexpected type reads as absent
  // (json_fields.hpp); anything else nlohmann refuses stops that part with a warning instead of
  // the whole analysis.
  const auto part = [&](const char* name, void (*fn)(detail::context&)) {
    try {
      fn(c);
    } catch (const json::exception& e) {
      r.warnings.push_back(std::string(name) +
                           ": unexpected JSON structure, part skipped: " + e.what());
    }
  };
  part("identity", &read_identity);
  part("filesystem", &detail::analyze_filesystem);
  part("processes", &detail::analyze_processes);
  part("escape audit", &detail::analyze_escape);
  part("network", &detail::analyze_network_json);
  part("capture", &detail::analyze_capture);
  part("logs", &detail::analyze_logs);
  part("bodyfile", &detail::analyze_bodyfile);
  part("engine events", &detail::analyze_engine_events);
  part("kernel vs engine", &detail::analyze_hunt);
  part("yara", &detail::analyze_yara);
  part("coverage", &detail::analyze_coverage);
  std::stable_sort(r.findings.begin(), r.findings.end(), [](const finding& a, const finding& b) {
    if (a.level != b.level) return a.level > b.level;
    if (a.category != b.category) return category_rank(a.category) < category_rank(b.category);
    return a.source < b.source;
  });
  std::stable_sort(r.timeline.begin(), r.timeline.end(),
                   [](const auto& a, const auto& b) { return a.time < b.time; });
  if (r.timeline.size() > options.max_timeline) {
    r.warnings.push_back("timeline cut to its first " + std::to_string(options.max_timeline) +
                         " of " + std::to_string(r.timeline.size()) + " events");
    r.timeline.resize(options.max_timeline);
  }
  return r;
}

}  // namespace forensic::analysis
