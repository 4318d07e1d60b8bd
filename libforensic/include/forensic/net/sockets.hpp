#pragma once
// Live sockets of a network namespace, named by the process that owns them.
//
// /proc/<pid>/net/{tcp,tcp6,udp,udp6,raw,raw6} lists the sockets of the namespace <pid> lives
// in, whatever namespace the reader is in; each row carries the socket's inode. The owner is
// found through the host's /proc/<p>/fd links ("socket:[inode]") of the processes in that
// same namespace, so a container's socket is named without entering the container.
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace forensic::net {

// The process holding a socket (or any process in a namespace).
struct process_ref {
  int pid = 0;     // host pid
  int ns_pid = 0;  // pid inside its own pid namespace (last NSpid field), 0 when unknown
  std::string comm;
  std::vector<std::string> cmdline;
  std::string exe;           // target of /proc/<pid>/exe; " (deleted)" kept when the kernel says so
  std::string container_id;  // from /proc/<pid>/cgroup when it names one; empty otherwise
};

struct socket_entry {
  std::string protocol;  // "tcp", "udp", "raw"
  int family = 0;        // AF_INET or AF_INET6
  std::string local_address;
  std::uint16_t local_port = 0;  // for raw sockets: the IP protocol number
  std::string remote_address;
  std::uint16_t remote_port = 0;
  std::string state;  // "ESTABLISHED", "LISTEN", "SYN_SENT", ...; "UNCONN" for unconnected udp/raw
  std::uint64_t inode = 0;
  std::uint32_t uid = 0;
  std::uint32_t tx_queue = 0;
  std::uint32_t rx_queue = 0;
  process_ref owner;  // pid 0 when no process in the namespace holds it (kernel-owned, TIME_WAIT)
};

// Parses the text of one /proc/net table. `protocol` is "tcp", "udp" or "raw", `family`
// AF_INET or AF_INET6 (tcp6 etc.). Malformed rows are skipped and counted in `skipped`; the
// function never throws.
std::vector<socket_entry> parse_proc_net(std::string_view text, std::string_view protocol,
                                         int family, std::size_t* skipped = nullptr) noexcept;

// The six tables of the namespace `pid` lives in, rows tied to their owning processes.
// Throws errc::not_found when the process is gone, errc::permission_denied when /proc hides
// the other process's fds (not root).
std::vector<socket_entry> namespace_sockets(int pid, bool resolve_owners = true);

// Fills `owner` of every socket in `sockets` from the fd tables of the processes in the
// network namespace `netns_inode` (0: every process on the host).
void resolve_socket_owners(std::vector<socket_entry>& sockets, std::uint64_t netns_inode);

// Reads comm, cmdline, exe, NSpid and the cgroup container id of a host pid (best effort:
// fields the kernel refuses stay empty).
process_ref describe_process(int pid);

// Bundle field names (docs/bundle.md): protocol, local_address, local_port, remote_address,
// remote_port, state, inode, pid, ns_pid, comm, cmdline (array), exe; plus family, uid.
nlohmann::json to_json(const socket_entry& s);

}  // namespace forensic::net
