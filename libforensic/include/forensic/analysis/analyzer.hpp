#pragma once
// Tells the analyst what happened in a container, from an evidence bundle (docs/bundle.md).
//
// The bundle is verified first, exactly as ir-verify does it (evidence::verify_bundle: every
// file re-hashed against SHA256SUMS and manifest.json); a bundle that fails is still analysed,
// but the report says so first. Every file is optional: what is missing is
// listed, and the rest is analysed. Container content is read as data only: the filesystem
// export is walked with libarchive and never extracted, so hostile names and links are
// harmless; the capture is decoded by hand with every length checked. Every finding names the
// bundle file it comes from. Times are UTC.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "forensic/analysis/findings.hpp"
#include "forensic/analysis/ioc.hpp"
#include "forensic/analysis/yara.hpp"

namespace forensic::analysis {

// The outcome of evidence::verify_bundle as the analysis report carries it: "verified" when
// ir-verify would say OK, "failed" when it would say FAILED, "unverified" when there is no
// SHA256SUMS at all. files_checked is ir-verify's count (every file of the bundle); problems
// lists every missing, modified and extra file and every structural problem it found.
struct bundle_verification {
  std::string status;
  std::size_t files_checked = 0;
  std::vector<std::string> problems;  // "capture/capture.pcapng: sha256 mismatch", ...
};

struct analysis_options {
  ioc_set iocs;
  std::size_t max_log_lines = 2000;  // per log file, into the timeline
  std::size_t max_timeline = 20000;  // events kept (the earliest are kept)
  // YARA rules run over the export, the deep paths, the mount tars and memory/*.core (yara.hpp);
  // null: no YARA scan. A tar member longer than the cap has only its first bytes scanned.
  std::shared_ptr<const yara_rules> yara;
  std::size_t yara_member_cap = 64u << 20;
};

// What the bundle holds of one artifact, and for what it lacks, what that hides from the
// analyst. Absent evidence yields no findings; this is what keeps "nothing found" from reading
// as "nothing there".
struct coverage_entry {
  std::string artifact;  // a collector artifact ("network", "export", ...) or a part of one
                         // ("network.sockets")
  // "present", "partial" (present, with a failure recorded), "failed", "not_collected" (the
  // collector says why it did not take it), "not_asked", or "absent" (no manifest says why)
  std::string status;
  std::string reason;              // the manifest's failure message or not-collected reason
  std::string hides;               // what cannot be seen without it; "" when present
  std::vector<std::string> files;  // its bundle files found
};

struct analysis_report {
  std::string bundle;  // as given
  bundle_verification verification;
  std::string container_id, container_name, case_id, image;
  std::vector<finding> findings;  // sorted: severity (high first), then category, then source
  capture_stats capture;          // read false (with the reason) when no capture was decoded
  std::vector<flow> flows;
  std::vector<dns_record> dns;
  nlohmann::json sockets = nlohmann::json::array();    // from network/network.json
  nlohmann::json conntrack = nlohmann::json::array();  // from network/network.json
  std::vector<timeline_event> timeline;                // sorted by time
  std::vector<std::string> files_read, files_missing;
  std::vector<coverage_entry> coverage;  // every artifact, in collection order
  std::size_t ioc_count = 0;
  // With YARA rules: {"rules", "rule_files", "scanned", "members_scanned", "members_truncated",
  // "member_cap_bytes", "cores_scanned", "matches"}; null when no rules were given.
  nlohmann::json yara = nullptr;
  std::vector<std::string> warnings;
};

// Throws errc::not_found when `bundle` is not a directory; everything else is reported.
analysis_report analyze_bundle(const std::filesystem::path& bundle,
                               const analysis_options& options = {});

nlohmann::json to_json(const coverage_entry& e);
nlohmann::json to_json(const analysis_report& r);  // schema forensic.analysis/1
std::string to_markdown(const analysis_report& r);

}  // namespace forensic::analysis
