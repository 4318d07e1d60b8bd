#pragma once
// Exit codes shared by every ir-* tool, documented in each --help and in README.md.
#include "forensic/error.hpp"

namespace forensic::cli {

enum exit_code : int {
  exit_ok = 0,
  exit_negative = 1,            // the answer is "no": not located, verification failed
  exit_usage = 2,               // bad option or argument (bad address, unknown flag)
  exit_engine_unreachable = 3,  // no engine answers at the endpoint, or it timed out
  exit_permission_denied = 4,   // not root / not in the docker group / read-only output
  exit_not_found = 5,           // unknown or ambiguous container, network, interface
  exit_io = 6,                  // local file error, disk full
  exit_engine_error = 7,        // the engine refused (conflict, server error, bad reply)
  exit_capture = 8,             // libpcap or netlink refused
  exit_locked = 9,              // ir-collect: another collection of the container is running
  exit_internal = 10,           // a bug: please report it
  exit_unenforceable = 11,      // ir-isolate: the firewall cannot see the container's traffic
  exit_case_conflict = 12,      // ir-isolate: already quarantined under another case
  exit_interrupted = 130,       // SIGINT/SIGTERM: stopped cleanly, nothing marked complete
};

int exit_code_for(errc code) noexcept;

// The block of text every --help ends with.
const char* exit_codes_help() noexcept;

}  // namespace forensic::cli
