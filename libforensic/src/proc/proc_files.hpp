#pragma once
// The one reader of the host's /proc, for proc/ itself and for net/: which pids exist, a pid's
// files (stat, status, comm, cmdline, cgroup), links (exe, cwd, fd/*), namespace inodes and
// handles, and files under /proc read with the chunked reader. Nothing here throws: what the
// kernel refuses (the process exited, /proc hides it) comes back empty, 0 or nullopt, and
// errno says why.
//
// ir-locate and ir-netmap walk every process and about a hundred namespaces per call, so each
// function makes the fewest syscalls its answer needs and allocates nothing per pid beyond
// its result.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "forensic/io/unique_fd.hpp"

namespace forensic::proc {

// "/proc/<pid>/" + `file` (or "<root>/<pid>/" + `file`).
std::string pid_path(int pid, std::string_view file, std::string_view root = "/proc");

// Every numeric entry of `root` (a host pid, thread-group leaders only), in directory order.
// nullopt when `root` cannot be listed (errno kept).
std::optional<std::vector<int>> list_pids(const std::string& root = "/proc");

struct pid_entry {
  int pid = 0;
  std::uint64_t netns = 0;   // inode of /proc/<pid>/ns/net; 0 when unreadable
  std::string container_id;  // 64 hex digits from /proc/<pid>/cgroup, empty when none
};

// All processes with their network namespace, in one pass. Cgroups are only read when asked
// (one more open per process).
std::vector<pid_entry> scan_processes(bool read_cgroups);

// An fd of /proc/<pid>/mem for pread() at the process's addresses (the kernel checks that the
// caller may ptrace it; nothing is attached). Invalid when refused or gone (errno kept).
io::unique_fd open_memory(int pid, std::string_view root = "/proc") noexcept;

// Inode of /proc/<pid>/ns/<kind> ("net", "pid", ...) or of any namespace file, 0 when the
// process is gone or hidden.
std::uint64_t ns_inode(const std::string& ns_path) noexcept;
std::uint64_t netns_inode(int pid) noexcept;
std::uint64_t own_netns_inode() noexcept;

// The pid namespaces above the one at `ns_path` (/proc/<pid>/ns/pid), nearest first, by the
// NS_GET_PARENT ioctl. The kernel refuses (EPERM) to go above the caller's own namespace, which
// ends the list; empty when the file cannot be opened.
std::vector<std::uint64_t> pid_namespace_ancestors(const std::string& ns_path);

// An fd of /proc/<pid>/ns/net (for setns or a socket opened inside); invalid when the process
// is gone (errno kept).
io::unique_fd open_netns(int pid) noexcept;

// The container id a cgroup file names: the last run of 64 hex digits in a path such as
// "0::/docker/<id>", "0::/system.slice/docker-<id>.scope" or ".../cri-containerd-<id>.scope".
std::string container_id_from_cgroup(std::string_view text);

// Whole content of a /proc or /sys file (they report size 0: read until end of file), at most
// `cap` bytes; nullopt when it cannot be opened or read (errno kept).
std::optional<std::string> read_file(const std::string& path, std::size_t cap = 4u << 20);
inline constexpr std::size_t no_cap = std::numeric_limits<std::size_t>::max();

// A /proc/<pid>/net table (tcp, udp6, ...). These seq files make the kernel walk the whole
// global socket hash on every read() call, so the usual read-until-0 costs two walks per
// table. seq_read only returns less than asked at the end of the table or when its internal
// buffer (at least a page) is full; a read well short of a page is therefore the whole table
// and the empty read after it is skipped.
std::optional<std::string> read_net_table(const std::string& path);

// A process's small file whose lines are short (status, comm, cgroup, uid_map, attr/*: at most
// 256 bytes each), read as read_net_table reads: the kernel hands such a file out whole when
// asked for more (single_open and attr files) or fills at least a page per read (seq files),
// so a read well short of a page is the end, and the empty read after it is not made. At most
// `cap` bytes, as read_file.
std::optional<std::string> read_short_lines(const std::string& path, std::size_t cap = 4u << 20);

// Target of a symlink (/proc/<pid>/exe, cwd, fd/<n>); nullopt when unreadable.
std::optional<std::string> read_link(const std::string& path);

// The NUL-separated fields of cmdline or environ (a trailing NUL ends the last one).
std::vector<std::string> split_nul(std::string_view data);

// The text after "Key:" on its line of /proc/<pid>/status ("\t4242\t1" for NSpid); empty when
// absent.
std::string status_field(std::string_view status, std::string_view key);

// socket inode -> host pid, from the fd tables of `pids` (the first holder wins).
std::unordered_map<std::uint64_t, int> socket_inodes(const std::vector<int>& pids);

}  // namespace forensic::proc
