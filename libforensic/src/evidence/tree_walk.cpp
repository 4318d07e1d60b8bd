#include "evidence/tree_walk.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "forensic/error.hpp"
#include "forensic/io/no_atime.hpp"
#include "forensic/io/unique_fd.hpp"

namespace forensic::evidence::detail {
namespace {

constexpr std::size_t max_depth = 100000;
constexpr int directory_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

struct dir_close {
  void operator()(DIR* d) const noexcept { ::closedir(d); }
};

// The names in a directory, sorted (the fd stays open: closedir closes a dup).
std::vector<std::string> names_in(int dir_fd, const std::string& where) {
  const int copy = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) throw_errno("cannot read directory " + where, errno);
  std::unique_ptr<DIR, dir_close> dir(::fdopendir(copy));
  if (!dir) {
    ::close(copy);
    throw_errno("cannot read directory " + where, errno);
  }
  std::vector<std::string> out;
  errno = 0;
  while (const dirent* d = ::readdir(dir.get())) {
    const std::string name = d->d_name;
    if (name != "." && name != "..") out.push_back(name);
    errno = 0;
  }
  if (errno != 0) throw_errno("cannot read directory " + where, errno);
  std::sort(out.begin(), out.end());
  return out;
}

struct frame {
  std::vector<std::string> names;
  std::size_t next = 0;
  struct statx st {};
  std::size_t path_length = 0;
};

}  // namespace

int stat_entry(int dir_fd, const char* name, struct statx& st) noexcept {
  const int flags = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | (*name ? 0 : AT_EMPTY_PATH);
  if (::statx(dir_fd, name, flags, STATX_BASIC_STATS | STATX_BTIME | STATX_MNT_ID, &st) != 0) {
    return errno;
  }
  return 0;
}

bool same_mount(const struct statx& a, const struct statx& b) noexcept {
  if ((a.stx_mask & STATX_MNT_ID) && (b.stx_mask & STATX_MNT_ID)) {
    return a.stx_mnt_id == b.stx_mnt_id;
  }
  return a.stx_dev_major == b.stx_dev_major && a.stx_dev_minor == b.stx_dev_minor;
}

void walk_tree(int root_fd, const walk_visitor& visit, std::vector<std::string>& skipped,
               const std::atomic<bool>* cancel) {
  io::unique_fd fd = io::open_no_atime(root_fd, ".", directory_flags);
  if (!fd) throw_errno("cannot open the directory to walk", errno);
  struct statx root {};
  if (const int err = stat_entry(fd.get(), "", root)) throw_errno("cannot stat the root", err);
  std::vector<frame> stack;
  stack.push_back({names_in(fd.get(), "/"), 0, root, 0});
  std::string path;  // of the current directory, "" for the root
  while (!stack.empty()) {
    frame& top = stack.back();
    if (top.next == top.names.size()) {
      stack.pop_back();
      if (stack.empty()) break;
      io::unique_fd parent = io::open_no_atime(fd.get(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      struct statx st {};
      if (!parent || stat_entry(parent.get(), "", st) != 0 ||
          st.stx_ino != stack.back().st.stx_ino ||
          st.stx_dev_major != stack.back().st.stx_dev_major ||
          st.stx_dev_minor != stack.back().st.stx_dev_minor) {
        throw error(errc::conflict, "the directory above " + path + " moved while it was walked");
      }
      fd = std::move(parent);
      path.resize(stack.back().path_length);
      continue;
    }
    if (cancel && cancel->load()) throw error(errc::cancelled, "interrupted while walking " + path);
    const std::string& name = top.names[top.next++];
    const std::string child_path = path + "/" + name;
    struct statx st {};
    if (const int err = stat_entry(fd.get(), name.c_str(), st)) {
      if (err != ENOENT) skipped.push_back(child_path + ": cannot stat: " + std::strerror(err));
      continue;  // ENOENT: removed since the listing, nothing to record
    }
    if (!same_mount(st, root)) continue;  // another mount's root: walked as that mount
    const bool descend = visit({fd.get(), name, child_path, st});
    if (!descend || !S_ISDIR(st.stx_mode)) continue;
    if (stack.size() > max_depth) {
      skipped.push_back(child_path + ": deeper than " + std::to_string(max_depth) +
                        " levels, not walked");
      continue;
    }
    io::unique_fd sub = io::open_no_atime(fd.get(), name.c_str(), directory_flags);
    if (!sub) {
      skipped.push_back(child_path + ": cannot open: " + std::strerror(errno));
      continue;
    }
    frame next;
    try {
      next = {names_in(sub.get(), child_path), 0, st, child_path.size()};
    } catch (const error& e) {
      skipped.push_back(child_path + ": " + e.what());
      continue;
    }
    fd = std::move(sub);
    path = child_path;
    stack.push_back(std::move(next));
  }
}

}  // namespace forensic::evidence::detail
