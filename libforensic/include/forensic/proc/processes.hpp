#pragma once
// The processes of a container, read from the host's /proc (never by running anything inside
// the container: its binaries are the attacker's).
//
// Membership is decided by the kernel's view (membership.hpp: cgroup, pid namespace and those
// nested below it, mount namespace), not by what the engine reports. Everything a process exposes
// is hostile text (argv, environ, file names): it is kept exact here and escaped only where
// printed.
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace forensic::proc {

struct open_fd {
  int fd = 0;
  std::string target;  // readlink of /proc/<pid>/fd/<fd>: "/tmp/x", "socket:[123]", "pipe:[9]"
};

struct process_info {
  int pid = 0;                     // host pid
  int ns_pid = 0;                  // pid inside the container (last NSpid field)
  int ppid = 0;                    // host ppid
  std::vector<std::uint32_t> uid;  // real, effective, saved, filesystem
  std::vector<std::uint32_t> gid;
  std::string comm;
  std::vector<std::string> cmdline;
  std::vector<std::string> environ;
  std::string cwd;
  std::string exe;           // link target, without the " (deleted)" suffix
  bool exe_deleted = false;  // the binary was unlinked after exec: the classic implant
  std::string exe_sha256;    // of /proc/<pid>/exe (the running image, deleted or not)
  std::string start_time;    // RFC 3339 UTC, from stat field 22 and /proc/stat btime
  int threads = 0;
  std::vector<open_fd> fds;
  std::vector<std::string> errors;  // what could not be read (the process may have exited)
};

// The host pids of members_of_container(init_pid), sorted. Throws errc::not_found when init_pid
// is gone.
std::vector<int> pids_of_container(int init_pid, const std::string& proc_root = "/proc");

// Reads one process. Fields that vanish mid-read are left empty and named in `errors`;
// returns nullopt only when the process is gone altogether.
std::optional<process_info> read_process(int pid, const std::string& proc_root = "/proc");

// The JSON form documented in docs/bundle.md (processes/processes.json entries). Strings that
// are not valid UTF-8 are written escaped and their field names listed in "escaped_fields".
nlohmann::json to_json(const process_info& p);

// Seconds since the epoch of the host's boot (/proc/stat btime).
std::int64_t boot_time(const std::string& proc_root = "/proc");

}  // namespace forensic::proc
