#include "forensic/proc/membership.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "forensic/error.hpp"
#include "forensic/io/unique_fd.hpp"
#include "proc/membership_parse.hpp"
#include "proc/proc_files.hpp"

namespace forensic::proc {
namespace detail {

std::map<std::string, std::string> parse_cgroup(std::string_view text) {
  std::map<std::string, std::string> out;
  for (std::size_t k = 0; k < text.size();) {
    std::size_t nl = text.find('\n', k);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = text.substr(k, nl - k);
    k = nl + 1;
    // The path is everything after the second ':' (it may hold ':' itself).
    const auto first = line.find(':');
    const auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos || first == 0) continue;
    out[std::string(line.substr(0, second))] = std::string(line.substr(second + 1));
  }
  return out;
}

std::string membership_hierarchy(const std::map<std::string, std::string>& init_cgroups) {
  const auto has_controller = [](const std::string& key, std::string_view name) {
    std::string_view list(key);
    list.remove_prefix(list.find(':') + 1);
    for (std::size_t k = 0; k <= list.size();) {
      std::size_t comma = list.find(',', k);
      if (comma == std::string_view::npos) comma = list.size();
      if (list.substr(k, comma - k) == name) return true;
      k = comma + 1;
    }
    return false;
  };
  const auto usable = [](const std::string& path) { return !path.empty() && path != "/"; };
  if (auto it = init_cgroups.find("0:"); it != init_cgroups.end() && usable(it->second)) {
    return it->first;
  }
  for (const char* controller : {"pids", "memory"}) {
    for (const auto& [key, path] : init_cgroups) {
      if (usable(path) && has_controller(key, controller)) return key;
    }
  }
  for (const auto& [key, path] : init_cgroups) {
    if (usable(path)) return key;
  }
  return {};
}

bool within(std::string_view path, std::string_view base) {
  if (!path.starts_with(base)) return false;
  return path.size() == base.size() || base == "/" || path[base.size()] == '/';
}

std::vector<int> nspid_levels(std::string_view status) {
  std::vector<int> out;
  const auto at = status.starts_with("NSpid:") ? 0 : status.find("\nNSpid:");
  if (at == std::string_view::npos) return out;
  std::string_view rest = status.substr(at + (at == 0 ? 6 : 7));
  rest = rest.substr(0, rest.find('\n'));
  std::istringstream in{std::string(rest)};
  for (int pid; in >> pid;) out.push_back(pid);
  return out;
}

}  // namespace detail

namespace {

std::vector<int> all_pids(const std::string& proc_root) {
  std::vector<int> pids;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(proc_root.c_str()), &::closedir);
  if (!dir) throw_errno("cannot list " + proc_root, errno);
  while (auto* e = ::readdir(dir.get())) {
    int pid = 0;
    const char* end = e->d_name + std::strlen(e->d_name);
    auto [p, ec] = std::from_chars(e->d_name, end, pid);
    if (ec == std::errc() && p == end && pid > 0) pids.push_back(pid);
  }
  std::sort(pids.begin(), pids.end());
  return pids;
}

// Walks up from the process's pid namespace until `ancestor` is met.
bool pid_namespace_below(const std::string& ns_link, ino_t ancestor) {
  const auto above = pid_namespace_ancestors(ns_link);
  return std::find(above.begin(), above.end(), ancestor) != above.end();
}

struct container_view {
  ino_t pid_ns = 0;  // 0 when it is the host's (compares nothing)
  ino_t mnt_ns = 0;
  std::size_t nspid_depth = 0;
  std::string hierarchy;  // empty: no cgroup to compare
  std::string cgroup;
};

container_view view_of(int init_pid, const std::string& proc_root) {
  const std::string base = proc_root + "/" + std::to_string(init_pid);
  container_view v;
  v.pid_ns = ns_inode(base + "/ns/pid");
  const auto status = read_file(base + "/status");
  const auto cgroup = read_file(base + "/cgroup");
  if (v.pid_ns == 0 || !status || !cgroup) {
    throw error(errc::not_found, "process " + std::to_string(init_pid) + " is gone");
  }
  v.mnt_ns = ns_inode(base + "/ns/mnt");
  // The host's own namespaces: pid 1's, and the collector's own (pid 1's links are unreadable
  // when the collector runs confined, and a namespace it shares is not the container's).
  for (const char* who : {"/1", "/self"}) {
    if (v.pid_ns == ns_inode(proc_root + who + "/ns/pid")) v.pid_ns = 0;
    if (v.mnt_ns == ns_inode(proc_root + who + "/ns/mnt")) v.mnt_ns = 0;
  }
  v.nspid_depth = detail::nspid_levels(*status).size();
  const auto groups = detail::parse_cgroup(*cgroup);
  v.hierarchy = detail::membership_hierarchy(groups);
  if (!v.hierarchy.empty()) v.cgroup = groups.at(v.hierarchy);
  return v;
}

}  // namespace

std::vector<container_member> members_of_container(int init_pid, const std::string& proc_root) {
  const container_view c = view_of(init_pid, proc_root);
  std::vector<container_member> out;
  for (int pid : all_pids(proc_root)) {
    const std::string dir = proc_root + "/" + std::to_string(pid);
    container_member m;
    m.pid = pid;
    const auto cgroup = read_file(dir + "/cgroup");
    if (!cgroup) continue;  // exited
    if (!c.hierarchy.empty()) {
      const auto groups = detail::parse_cgroup(*cgroup);
      if (auto it = groups.find(c.hierarchy); it != groups.end()) m.cgroup = it->second;
      if (!m.cgroup.empty() && detail::within(m.cgroup, c.cgroup)) m.found_by.push_back("cgroup");
    }
    bool by_namespace = false;
    if (c.pid_ns != 0) {
      const ino_t ns = ns_inode(dir + "/ns/pid");
      if (ns == c.pid_ns) {
        m.found_by.push_back("pid_namespace");
        by_namespace = true;
      } else if (ns != 0) {
        // Only a process with more NSpid levels than the init can be in a namespace below it:
        // the ioctl walk is done for those alone.
        const auto status = read_file(dir + "/status");
        if (status && detail::nspid_levels(*status).size() > c.nspid_depth &&
            pid_namespace_below(dir + "/ns/pid", c.pid_ns)) {
          m.found_by.push_back("nested_pid_namespace");
          by_namespace = true;
        }
      }
    }
    if (c.mnt_ns != 0 && ns_inode(dir + "/ns/mnt") == c.mnt_ns) {
      m.found_by.push_back("mnt_namespace");
      by_namespace = true;
    }
    if (m.found_by.empty()) continue;
    const bool in_cgroup = m.found_by.front() == "cgroup";
    m.entered_from_outside = by_namespace && !in_cgroup && !c.hierarchy.empty();
    out.push_back(std::move(m));
  }
  return out;
}

nlohmann::json to_json(const container_member& m) {
  return {{"found_by", m.found_by},
          {"entered_from_outside", m.entered_from_outside},
          {"cgroup", m.cgroup}};
}

}  // namespace forensic::proc
