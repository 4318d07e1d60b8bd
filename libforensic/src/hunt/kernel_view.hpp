#pragma once
// Private to hunt/: the kernel's side, read once through the one /proc reader.
#include <cstdint>
#include <string>
#include <vector>

#include "forensic/hunt/hunt.hpp"

namespace forensic::hunt::detail {

struct kernel_process {
  int pid = 0;
  int ppid = 0;
  std::string comm;
  namespace_ids ns;
  std::string cgroup;               // compared hierarchy's path
  std::string cgroup_container_id;  // the 64-hex id its cgroup names, empty when none
  std::size_t nspid_levels = 0;     // 1 in the host's pid namespace
};

// The host's namespaces: pid 1's, and where /proc hides pid 1's links (a confined init, a
// micro-VM's agent), those of kthreadd (pid 2: kernel threads live in the initial namespaces),
// else the caller's own.
namespace_ids host_namespaces();

// Every process of /proc; those that exit while read are left out.
std::vector<kernel_process> read_processes();

// The six namespace inodes of a pid (0 for those unreadable).
namespace_ids namespaces_of(int pid);

struct mounted_netns {
  std::string path;
  std::uint64_t inode = 0;
};

// Files of `dirs` that are mounted network namespaces (nsfs). A directory is read once even
// when two names reach it (/var/run is /run); one that does not exist is skipped silently,
// one that cannot be read is a warning.
std::vector<mounted_netns> mounted_network_namespaces(const std::vector<std::string>& dirs,
                                                      std::vector<std::string>& warnings);

}  // namespace forensic::hunt::detail
