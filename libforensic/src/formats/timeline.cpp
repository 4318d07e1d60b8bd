// Timesketch JSONL and the bundle's bodyfile (docs/formats.md).
#include "forensic/formats/timeline.hpp"

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <ostream>

#include "forensic/error.hpp"
#include "forensic/io/time.hpp"

namespace forensic::formats {
namespace {

using nlohmann::json;

constexpr const char* bodyfile = "filesystem/bodyfile.txt";

// Timesketch's timestamp_desc names which clock a time is (plaso's wording where it has one).
std::string timestamp_desc(const std::string& kind) {
  if (kind == "file_mtime") return "Content Modification Time";
  if (kind == "file_atime") return "Last Access Time";
  if (kind == "file_ctime") return "Metadata Modification Time";
  if (kind == "file_btime") return "Creation Time";
  if (kind == "process_start") return "Process Start Time";
  if (kind == "exec") return "Engine Exec Time";
  if (kind == "log") return "Log Line Time";
  if (kind == "flow_first") return "First Packet Time";
  if (kind == "dns") return "DNS Query Time";
  return "Event Time";
}

std::int64_t epoch_micros(const std::string& rfc3339) {
  const auto t = io::parse_rfc3339(rfc3339);
  if (!t) return 0;
  return std::chrono::duration_cast<std::chrono::microseconds>(t->time_since_epoch()).count();
}

json common(const analysis::analysis_report& r) {
  json o = json::object();
  o["container_id"] = r.container_id;
  o["container_name"] = r.container_name;
  if (!r.case_id.empty()) o["case"] = r.case_id;
  return o;
}

}  // namespace

json to_timesketch(const analysis::timeline_event& e, const analysis::analysis_report& r) {
  json o = common(r);
  o["message"] = e.summary;
  o["datetime"] = e.time;
  o["timestamp"] = epoch_micros(e.time);
  o["timestamp_desc"] = timestamp_desc(e.kind);
  o["kind"] = e.kind;
  o["source"] = e.source;
  o["time_source"] = analysis::to_string(e.clock);
  o["attacker_settable"] = e.clock == analysis::time_source::attacker_settable;
  if (e.facts.is_object()) {
    for (const auto& [k, v] : e.facts.items()) {
      if (!o.contains(k)) o[k] = v;  // never over our own fields
    }
  }
  return o;
}

std::string to_timesketch_jsonl(const analysis::analysis_report& r) {
  std::string out;
  const auto line = [&](const json& o) {
    out += o.dump(-1, ' ', false, json::error_handler_t::replace);
    out += '\n';
  };
  for (const auto& e : r.timeline) line(to_timesketch(e, r));
  for (const auto& f : r.findings) {
    if (f.time.empty()) continue;
    json o = common(r);
    o["message"] = f.summary;
    o["datetime"] = f.time;
    o["timestamp"] = epoch_micros(f.time);
    o["timestamp_desc"] = "Finding Time";
    o["kind"] = "finding";
    o["finding_kind"] = f.kind;
    o["severity"] = analysis::to_string(f.level);
    o["source"] = f.source;
    line(o);
  }
  return out;
}

void copy_bodyfile(const analysis::analysis_report& r, std::ostream& out) {
  for (const auto& p : r.verification.problems) {
    if (p.starts_with(bodyfile)) {
      throw error(errc::verification_failed,
                  r.bundle + "/" + bodyfile + " failed verification: " + p);
    }
  }
  const auto path = std::filesystem::path(r.bundle) / bodyfile;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw error(errc::not_found, "the bundle has no " + std::string(bodyfile));
  std::array<char, 1 << 16> buffer{};
  while (in) {
    in.read(buffer.data(), buffer.size());
    out.write(buffer.data(), in.gcount());
  }
  if (in.bad()) throw error(errc::io, "cannot read " + path.string());
  out.flush();
  if (!out) throw error(errc::io, "cannot write the bodyfile");
}

}  // namespace forensic::formats
