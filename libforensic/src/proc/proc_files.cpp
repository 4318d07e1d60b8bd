#include "proc/proc_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <memory>

#include "forensic/io/unique_fd.hpp"
#include "io/c_handles.hpp"

namespace forensic::proc {
namespace {

using io::c_dir;

bool parse_int(std::string_view text, int& out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size();
}

// The C locale's hex digits, inline: every byte of each cgroup file goes through here.
bool is_hex(char c) {
  const char lower = static_cast<char>(c | 0x20);
  return (c >= '0' && c <= '9') || (lower >= 'a' && lower <= 'f');
}

// Reads `path` in reads of up to `chunk` bytes until end of file, until `cap` bytes are in, or,
// for a /proc/<pid>/net table (`table`), after a read well short of a page (see the header).
std::optional<std::string> read_in_chunks(const std::string& path, std::size_t chunk,
                                          std::size_t cap, bool table) {
  constexpr std::size_t page = 4096, longest_row = 256;  // tcp6 rows are about 180 bytes
  io::unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  std::string out;
  char buf[65536];
  chunk = std::min(chunk, sizeof buf);
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (table && static_cast<std::size_t>(n) + longest_row < page) break;
    if (out.size() >= cap) break;
  }
  return out;
}

}  // namespace

std::optional<std::string> read_file(const std::string& path, std::size_t cap) {
  return read_in_chunks(path, 16384, cap, false);
}

std::optional<std::string> read_net_table(const std::string& path) {
  return read_in_chunks(path, 65536, 64u << 20, true);
}

std::optional<std::string> read_short_lines(const std::string& path, std::size_t cap) {
  return read_in_chunks(path, 16384, cap, true);
}

std::string pid_path(int pid, std::string_view file, std::string_view root) {
  std::string path(root);
  path += '/';
  path += std::to_string(pid);
  path += '/';
  path += file;
  return path;
}

std::optional<std::vector<int>> list_pids(const std::string& root) {
  c_dir dir(::opendir(root.c_str()));
  if (!dir) return std::nullopt;
  std::vector<int> out;
  while (const dirent* e = ::readdir(dir.get())) {
    int pid = 0;
    if (parse_int(e->d_name, pid) && pid > 0) out.push_back(pid);
  }
  return out;
}

std::uint64_t ns_inode(const std::string& ns_path) noexcept {
  struct stat st {};
  return ::stat(ns_path.c_str(), &st) == 0 ? st.st_ino : 0;
}

std::uint64_t netns_inode(int pid) noexcept {
  try {
    return ns_inode("/proc/" + std::to_string(pid) + "/ns/net");
  } catch (...) {  // allocation failure: as unreadable
    return 0;
  }
}

std::uint64_t own_netns_inode() noexcept {
  struct stat st {};
  return ::stat("/proc/self/ns/net", &st) == 0 ? st.st_ino : 0;
}

std::vector<std::uint64_t> pid_namespace_ancestors(const std::string& ns_path) {
  std::vector<std::uint64_t> out;
  io::unique_fd ns(::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return out;
  for (int depth = 0; depth < 33; ++depth) {  // the kernel nests pid namespaces 32 deep at most
    io::unique_fd parent(::ioctl(ns.get(), NS_GET_PARENT));
    struct stat st {};
    if (!parent || ::fstat(parent.get(), &st) != 0) break;
    out.push_back(st.st_ino);
    ns = std::move(parent);
  }
  return out;
}

io::unique_fd open_netns(int pid) noexcept {
  char path[48];
  std::snprintf(path, sizeof path, "/proc/%d/ns/net", pid);
  return io::unique_fd(::open(path, O_RDONLY | O_CLOEXEC));
}

io::unique_fd open_memory(int pid, std::string_view root) noexcept {
  try {
    return io::unique_fd(::open(pid_path(pid, "mem", root).c_str(), O_RDONLY | O_CLOEXEC));
  } catch (...) {  // the path's allocation
    errno = ENOMEM;
    return io::unique_fd();
  }
}

std::optional<std::string> read_link(const std::string& path) {
  char buf[4096];
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<std::size_t>(n));
}

std::vector<std::string> split_nul(std::string_view data) {
  std::vector<std::string> out;
  while (!data.empty()) {
    const auto nul = data.find('\0');
    out.emplace_back(data.substr(0, nul));
    if (nul == std::string_view::npos) break;
    data.remove_prefix(nul + 1);
  }
  return out;
}

std::string status_field(std::string_view status, std::string_view key) {
  while (!status.empty()) {
    const auto end = status.find('\n');
    const std::string_view line = status.substr(0, end);
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ':') {
      return std::string(line.substr(key.size() + 1));
    }
    if (end == std::string_view::npos) break;
    status.remove_prefix(end + 1);
  }
  return {};
}

std::string container_id_from_cgroup(std::string_view text) {
  std::string found;
  std::size_t k = 0;
  while (k < text.size()) {
    if (!is_hex(text[k])) {
      ++k;
      continue;
    }
    std::size_t end = k;
    while (end < text.size() && is_hex(text[end])) ++end;
    if (end - k == 64) found = std::string(text.substr(k, 64));
    k = end;
  }
  for (auto& c : found) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return found;
}

std::vector<pid_entry> scan_processes(bool read_cgroups) {
  std::vector<pid_entry> out;
  c_dir proc(::opendir("/proc"));
  if (!proc) return out;
  while (const dirent* e = ::readdir(proc.get())) {
    pid_entry p;
    if (!parse_int(e->d_name, p.pid) || p.pid <= 0) continue;
    p.netns = netns_inode(p.pid);
    if (read_cgroups) {
      if (auto text = read_short_lines("/proc/" + std::to_string(p.pid) + "/cgroup", 65536)) {
        p.container_id = container_id_from_cgroup(*text);
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::unordered_map<std::uint64_t, int> socket_inodes(const std::vector<int>& pids) {
  std::unordered_map<std::uint64_t, int> out;
  char link[64];
  for (int pid : pids) {
    const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    c_dir fds(::opendir(dir.c_str()));
    if (!fds) continue;
    const int dfd = ::dirfd(fds.get());
    while (const dirent* e = ::readdir(fds.get())) {
      if (e->d_name[0] == '.') continue;
      const ssize_t n = ::readlinkat(dfd, e->d_name, link, sizeof link - 1);
      // "socket:[12345]"
      if (n < 9 || std::string_view(link, 8) != "socket:[") continue;
      std::uint64_t inode = 0;
      auto [p, ec] = std::from_chars(link + 8, link + n - 1, inode);
      if (ec == std::errc() && link[n - 1] == ']') out.emplace(inode, pid);
    }
  }
  return out;
}

}  // namespace forensic::proc
