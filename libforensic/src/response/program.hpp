#pragma once
// Running a host binary (iptables-restore, iptables-save, tc) without a shell: posix_spawn of an
// absolute path with an explicit argv, stdin fed from a string, stdout/stderr captured. The
// one place the response module starts a process; nothing here ever goes through /bin/sh.
#include <optional>
#include <string>
#include <vector>

namespace forensic::response::detail {

struct program_result {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] an absolute path) with `input` on its stdin. Throws errc::io when the
// binary cannot be started; a non-zero exit is returned, not thrown.
program_result run_program(const std::vector<std::string>& argv, const std::string& input = {});

// The first of /usr/sbin, /sbin, /usr/bin, /bin holding an executable `name` (a fixed list,
// not $PATH: we run as root on a host that may be compromised).
std::optional<std::string> find_program(const std::string& name);

}  // namespace forensic::response::detail
