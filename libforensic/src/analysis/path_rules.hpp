#pragma once
// Which container paths matter to a responder, and why: the rules behind the filesystem
// findings, kept pure (a path, its mode, its first bytes) so each one is unit-tested.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "forensic/analysis/findings.hpp"

namespace forensic::analysis::detail {

struct path_facts {
  std::string path;         // "/tmp/x", normalised
  bool in_diff = false;     // added or changed according to the engine's diff
  bool added = false;       // diff kind 1
  bool known_type = false;  // the export told us the type and mode
  bool regular = true;      // a regular file (false: directory, link, device...)
  unsigned mode = 0;        // permission bits incl. setuid/setgid
  std::string head;         // first bytes of the content, when read
};

struct path_hit {
  std::string kind;
  severity level;
  std::string why;
};

std::vector<path_hit> classify_path(const path_facts& f);

// The file starts like an ELF binary or a script (#!).
bool looks_executable(std::string_view head);

}  // namespace forensic::analysis::detail
