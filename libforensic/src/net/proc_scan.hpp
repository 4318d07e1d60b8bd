#pragma once
// One pass over the host's /proc: every process with its network namespace and, when its
// cgroup path names one, the container it belongs to. Shared by the link map (namespaces of
// containers the engine no longer knows), the socket owners and ir-locate.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace forensic::net::detail {

struct proc_entry {
  int pid = 0;
  std::uint64_t netns = 0;   // inode of /proc/<pid>/ns/net; 0 when unreadable
  std::string container_id;  // 64 hex digits from /proc/<pid>/cgroup, empty when none
};

// All processes (thread-group leaders). Cgroups are only read when asked (one more open per
// process).
std::vector<proc_entry> scan_processes(bool read_cgroups);

// Inode of /proc/<pid>/ns/net (or of "self"), 0 when the process is gone or hidden.
std::uint64_t netns_inode(int pid) noexcept;
std::uint64_t own_netns_inode() noexcept;

// The container id a cgroup file names: the last run of 64 hex digits in a path such as
// "0::/docker/<id>", "0::/system.slice/docker-<id>.scope" or ".../cri-containerd-<id>.scope".
std::string container_id_from_cgroup(std::string_view text);

// Whole content of a small /proc or /sys file; nullopt when it cannot be opened (errno kept).
std::optional<std::string> read_file(const std::string& path, std::size_t cap = 4u << 20);

// A /proc/<pid>/net table (tcp, udp6, ...). These seq files make the kernel walk the whole
// global socket hash on every read() call, about a millisecond each on a large host, so the
// usual read-until-0 costs two walks per table. seq_read only returns less than asked at the
// end of the table or when its internal buffer (at least a page) is full; a read well short of
// a page is therefore the whole table and the empty read after it is skipped.
std::optional<std::string> read_proc_table(const std::string& path);

// socket inode -> host pid, from the fd tables of `pids` (the first holder wins).
std::unordered_map<std::uint64_t, int> socket_inodes(const std::vector<int>& pids);

}  // namespace forensic::net::detail
