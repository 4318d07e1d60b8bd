#pragma once
// A process's memory as an ELF core file, read from the host: the mappings of /proc/<pid>/maps,
// their bytes from /proc/<pid>/mem.
//
// Nothing is injected and nothing is stopped by this module: /proc/<pid>/mem is read with
// pread(), which the kernel allows to a caller that may ptrace the process (root with
// CAP_SYS_PTRACE) without attaching to it; the process keeps running (or stays frozen, when the
// caller paused its container) with the same pid and never sees a tracer. Registers are
// therefore not known: the NT_PRSTATUS notes carry the thread ids and zero registers.
//
// The core is streamed: the header, program headers and notes are written first (the layout is
// fixed from the maps before any byte of memory is read), then each mapping in pieces of
// 1 MiB through one fixed buffer, so the process's memory is never held here. A mapping that
// cannot be read is kept in the layout with no bytes (p_filesz 0, as the kernel's own core
// dumps do) and recorded with the reason; a page that fails in the middle of a readable mapping
// is written as zeros and its range recorded.
//
// The file opens with `readelf -l` (one PT_NOTE, then one PT_LOAD per mapping, in address
// order), `gdb -c` (NT_PRSTATUS per thread, NT_PRPSINFO, NT_AUXV, NT_FILE naming the mapped
// files) and `strings`.
#include <atomic>
#include <cstdint>
#include <limits>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "forensic/io/byte_sink.hpp"

namespace forensic::proc {

// One line of /proc/<pid>/maps.
struct memory_mapping {
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  std::string perms;  // "r-xp", "rw-s", ...
  std::uint64_t offset = 0;
  unsigned major = 0;
  unsigned minor = 0;
  std::uint64_t inode = 0;
  std::string path;  // "/usr/lib/libc.so.6", "[heap]", "[stack]", "" for anonymous memory
  std::uint64_t size() const noexcept { return end - start; }
};

// Parses maps text. Lines that do not have the documented fields throw errc::parse naming the
// line.
std::vector<memory_mapping> parse_maps(std::string_view text);

struct unreadable_range {
  std::uint64_t start = 0;  // address
  std::uint64_t size = 0;
  std::string reason;  // strerror of the failed read
};

// What was done with one mapping. `read` mappings have their bytes in the core (possibly with
// `unreadable` ranges written as zeros); the others are listed with `skipped` saying why.
struct mapping_record {
  memory_mapping mapping;
  bool read = false;
  std::uint64_t bytes = 0;  // bytes of this mapping in the core file
  std::string skipped;      // why it is not in the core, when it is not
  std::vector<unreadable_range> unreadable;
};

struct core_options {
  // Memory bytes this core may hold at most. A mapping that does not fit is left out, and so is
  // every mapping after it ("memory limit reached").
  std::uint64_t byte_budget = std::numeric_limits<std::uint64_t>::max();
  const std::atomic<bool>* cancel_flag = nullptr;  // checked between pieces: errc::cancelled
  std::string proc_root = "/proc";
};

struct core_dump {
  int pid = 0;
  std::string comm;
  std::vector<std::string> cmdline;
  std::vector<int> threads;         // host thread ids, one NT_PRSTATUS each
  std::uint64_t core_size = 0;      // bytes written to the sink
  std::uint64_t memory_bytes = 0;   // memory bytes among them
  std::uint64_t skipped_bytes = 0;  // size of the mappings left out
  bool limit_reached = false;       // core_options::byte_budget left mappings out
  std::vector<mapping_record> mappings;
};

// Writes the core of `pid` to `out` (not finished: the caller finishes and hashes it). Throws
// errc::not_found when the process is gone before its maps are read, errc::permission_denied
// when /proc/<pid>/mem cannot be opened (not root, or Yama forbids it), errc::cancelled when
// the flag is raised, and the sink's own errors (a full disk) as they come.
core_dump write_core(int pid, io::byte_sink& out, const core_options& options = {});

// {"pid", "command", "cmdline", "threads", "core_size", "memory_bytes", "skipped_bytes",
// "limit_reached", "mappings": [{"start", "end" (hex text), "perms", "offset", "path", "size",
// "read", "bytes", "skipped"?, "unreadable"?: [{"start", "size", "reason"}]}]}
// (docs/bundle.md, memory/memory.json).
nlohmann::json to_json(const core_dump& d);

}  // namespace forensic::proc
