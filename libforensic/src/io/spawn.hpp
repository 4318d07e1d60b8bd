#pragma once
// The one way the library starts a program (iptables-save, iptables-restore, tc): posix_spawn of
// an absolute path with an explicit argv, never through a shell, in a fixed minimal environment
// (the caller's may carry LD_PRELOAD or XTABLES_LIBDIR; we run as root on a host that may be
// compromised). stdin is fed from a string (or is /dev/null), stdout and stderr are captured
// together with the write so that no side can block on a full pipe, and a child still running
// at the deadline is killed (SIGKILL) and reaped.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace forensic::io {

// PATH and locale of every spawned program: the fixed directories below, untranslated messages.
inline constexpr const char* spawn_path = "PATH=/usr/sbin:/sbin:/usr/bin:/bin";
inline constexpr const char* spawn_locale = "LC_ALL=C";

struct spawn_options {
  std::string input;  // written to the child's stdin; empty: stdin is /dev/null
  std::chrono::milliseconds timeout{60000};
};

struct spawn_result {
  bool started = false;    // false: the program was not found (spawn_named only)
  bool timed_out = false;  // killed at the deadline; out/err hold what it wrote until then
  int exit_code = -1;      // 128+N when killed by signal N; -1 when not started or timed out
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] an absolute path). Throws errc::invalid_argument for a relative path and
// errc::io when the binary cannot be started; a non-zero exit or a timeout is returned.
spawn_result spawn(const std::vector<std::string>& argv, const spawn_options& options = {});

// The first of /usr/sbin, /sbin, /usr/bin, /bin holding an executable `name` (a fixed list,
// never $PATH).
std::optional<std::string> find_program(const std::string& name);

// find_program(name), then spawn() it with `args`; started is false when it is not found.
spawn_result spawn_named(const std::string& name, const std::vector<std::string>& args,
                         const spawn_options& options = {});

}  // namespace forensic::io
