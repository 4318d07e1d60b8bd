#pragma once
// Facts an auditor checks about a collection, read from this host: the clock that every time in
// the bundle comes from, who ran the collection, and what a key file looked like before it was
// read.
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "forensic/evidence/manifest.hpp"

namespace forensic::evidence::detail {

// The current clocksource and the kernel's NTP state (ntp_adjtime in read-only mode). Never
// throws: what cannot be read stays unknown and `error` says why.
clock_state read_clock_state();

// The real uid, the audit login uid (/proc/self/loginuid) and its user name, $SUDO_USER, and
// `given` (--operator). Never throws.
operator_record read_operator(const std::string& given);

// The name recorded as the operator: the one given, else $SUDO_USER, the login uid's name,
// $USER, $LOGNAME, or "uid N".
std::string operator_display_name(const operator_record& o);

// Owner, mode, inode, device, size, link count and times (nanoseconds since the epoch) of an
// open file, from fstat: taken before reading, since reading can change the atime. Throws
// errc::io when fstat fails.
nlohmann::json file_metadata(int fd, const std::string& what);

}  // namespace forensic::evidence::detail
