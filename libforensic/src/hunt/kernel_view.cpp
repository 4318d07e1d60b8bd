#include "hunt/kernel_view.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <set>

#include "forensic/io/unique_fd.hpp"
#include "io/c_handles.hpp"
#include "proc/membership_parse.hpp"
#include "proc/proc_files.hpp"

namespace forensic::hunt::detail {
namespace {

int int_field(const std::string& status, std::string_view key) {
  const std::string text = proc::status_field(status, key);
  std::string_view v(text);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  int out = 0;
  std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}

}  // namespace

namespace_ids namespaces_of(int pid) {
  namespace_ids ids;
  for (std::size_t k = 0; k < std::size(namespace_kinds); ++k) {
    ids.inode[k] = proc::ns_inode(proc::pid_path(pid, "ns/" + std::string(namespace_kinds[k])));
  }
  return ids;
}

namespace_ids host_namespaces() {
  namespace_ids host = namespaces_of(1);
  const namespace_ids kthreadd = namespaces_of(2), self = namespaces_of(getpid());
  for (std::size_t k = 0; k < std::size(namespace_kinds); ++k) {
    if (host.inode[k] == 0) host.inode[k] = kthreadd.inode[k] ? kthreadd.inode[k] : self.inode[k];
  }
  return host;
}

std::vector<kernel_process> read_processes() {
  std::vector<kernel_process> out;
  auto pids = proc::list_pids();
  if (!pids) return out;
  std::sort(pids->begin(), pids->end());
  for (int pid : *pids) {
    kernel_process p;
    p.pid = pid;
    const auto status = proc::read_file(proc::pid_path(pid, "status"), 65536);
    const auto cgroup = proc::read_file(proc::pid_path(pid, "cgroup"), 65536);
    if (!status || !cgroup) continue;  // exited
    p.ns = namespaces_of(pid);
    if (p.ns.of("pid") == 0) continue;  // exited meanwhile
    std::string comm = proc::status_field(*status, "Name");
    if (!comm.empty() && comm.front() == '\t') comm.erase(0, 1);
    p.comm = comm;
    p.ppid = int_field(*status, "PPid");
    p.nspid_levels = proc::detail::nspid_levels(*status).size();
    const auto groups = proc::detail::parse_cgroup(*cgroup);
    const std::string hierarchy = proc::detail::membership_hierarchy(groups);
    if (!hierarchy.empty()) {
      p.cgroup = groups.at(hierarchy);
    } else if (auto it = groups.find("0:"); it != groups.end()) {
      p.cgroup = it->second;
    }
    p.cgroup_container_id = proc::container_id_from_cgroup(*cgroup);
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<mounted_netns> mounted_network_namespaces(const std::vector<std::string>& dirs,
                                                      std::vector<std::string>& warnings) {
  std::vector<mounted_netns> out;
  std::set<std::string> seen_dirs;
  std::set<std::uint64_t> seen;
  for (const auto& dir : dirs) {
    char real[PATH_MAX];
    if (!::realpath(dir.c_str(), real)) {
      if (errno != ENOENT)
        warnings.push_back("cannot resolve " + dir + ": " + std::strerror(errno));
      continue;
    }
    if (!seen_dirs.insert(real).second) continue;
    io::c_dir d(::opendir(dir.c_str()));
    if (!d) {
      warnings.push_back("cannot list " + dir + ": " + std::strerror(errno));
      continue;
    }
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d.get())) {
      if (e->d_name[0] != '.') names.emplace_back(e->d_name);
    }
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      const std::string path = dir + "/" + name;
      // O_PATH: nothing of the namespace is entered, only its identity taken.
      io::unique_fd fd(::open(path.c_str(), O_PATH | O_CLOEXEC | O_NOFOLLOW));
      struct statfs fs {};
      struct stat st {};
      if (!fd || ::fstatfs(fd.get(), &fs) != 0 || ::fstat(fd.get(), &st) != 0) continue;
      // An unmounted placeholder is a plain file of the tmpfs; a mounted one is on nsfs.
      if (static_cast<unsigned long>(fs.f_type) != NSFS_MAGIC) continue;
      if (!seen.insert(st.st_ino).second) continue;
      out.push_back({path, st.st_ino});
    }
  }
  return out;
}

}  // namespace forensic::hunt::detail
