#pragma once
// The analysis timeline where timelines are worked on: Timesketch's JSONL import format, and the
// bundle's MAC-time bodyfile for sleuthkit's `mactime -b` (docs/formats.md).
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>

#include "forensic/analysis/analyzer.hpp"

namespace forensic::formats {

// One Timesketch event: `message`, `datetime` (RFC 3339 UTC), `timestamp_desc` (which clock:
// "Content Modification Time", "Process Start Time", ...), `timestamp` (microseconds since the
// epoch), and the fields `kind`, `source`, `time_source`, `attacker_settable`, `container_id`,
// `container_name`, `case`, plus what the event is about (`path`, `pid`, `comm`, ...).
nlohmann::json to_timesketch(const analysis::timeline_event& e, const analysis::analysis_report& r);
// Every timeline event, then every finding that has a time (timestamp_desc "Finding Time",
// with `severity` and `finding_kind`), one JSON object a line.
std::string to_timesketch_jsonl(const analysis::analysis_report& r);

// Copies the bundle's filesystem/bodyfile.txt (sleuthkit body format 3) to `out`, as recorded,
// in pieces. Throws errc::not_found when the bundle has none, and errc::verification_failed when
// the bundle's verification named that file (a modified bodyfile is not handed on).
void copy_bodyfile(const analysis::analysis_report& r, std::ostream& out);

}  // namespace forensic::formats
