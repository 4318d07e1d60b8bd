#include "evidence/mount_archive.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "evidence/tar_output.hpp"
#include "evidence/tree_walk.hpp"
#include "forensic/error.hpp"
#include "forensic/io/no_atime.hpp"
#include "forensic/io/unique_fd.hpp"

namespace forensic::evidence::detail {
namespace {

constexpr std::size_t max_named = 10;

class pax_writer {
 public:
  pax_writer(io::byte_sink& sink, std::uint64_t limit, const std::atomic<bool>* cancel,
             mount_archive_summary& summary)
      : out_(sink), limit_(limit), cancel_(cancel), summary_(summary) {
    // Full pax, not "restricted": only full pax writes atime, ctime and nanoseconds always.
    out_.check(archive_write_set_format_pax(out_.get()), "tar format");
    out_.check(archive_write_set_bytes_in_last_block(out_.get(), 1), "tar block");
    out_.open("tar open");
  }

  // Adds `name` in `dir_fd` ("" for dir_fd itself, whose descriptor may be O_PATH) as `path`.
  void add(int dir_fd, const char* name, const std::string& path, const struct statx& st) {
    const std::string shown = "/" + path;
    if (S_ISSOCK(st.stx_mode)) {
      summary_.skipped.push_back(shown + ": a socket (tar cannot hold one)");
      return;
    }
    const bool regular = S_ISREG(st.stx_mode);
    if (regular && summary_.bytes + st.stx_size > limit_) {
      ++summary_.left_out_files;
      summary_.left_out_bytes += st.stx_size;
      if (summary_.left_out_first.size() < max_named) summary_.left_out_first.push_back(shown);
      return;
    }
    io::archive_entry_ptr e(archive_entry_new());
    archive_entry_copy_pathname(e.get(), path.c_str());
    archive_entry_set_mode(e.get(), st.stx_mode);
    archive_entry_set_uid(e.get(), st.stx_uid);
    archive_entry_set_gid(e.get(), st.stx_gid);
    archive_entry_set_ino64(e.get(), static_cast<la_int64_t>(st.stx_ino));
    archive_entry_set_nlink(e.get(), 1);  // each entry stands alone: no hard-link records
    archive_entry_set_atime(e.get(), st.stx_atime.tv_sec, st.stx_atime.tv_nsec);
    archive_entry_set_mtime(e.get(), st.stx_mtime.tv_sec, st.stx_mtime.tv_nsec);
    archive_entry_set_ctime(e.get(), st.stx_ctime.tv_sec, st.stx_ctime.tv_nsec);
    if (S_ISCHR(st.stx_mode) || S_ISBLK(st.stx_mode)) {
      archive_entry_set_rdev(e.get(), makedev(st.stx_rdev_major, st.stx_rdev_minor));
    }
    archive_entry_set_size(e.get(), regular ? static_cast<la_int64_t>(st.stx_size) : 0);
    if (S_ISLNK(st.stx_mode)) {
      std::string target(PATH_MAX, '\0');
      const ssize_t n = ::readlinkat(dir_fd, name, target.data(), target.size());
      if (n < 0) {
        summary_.skipped.push_back(shown + ": cannot read the link: " + std::strerror(errno));
        return;
      }
      target.resize(static_cast<std::size_t>(n));
      archive_entry_copy_symlink(e.get(), target.c_str());
    }
    io::unique_fd fd;
    if (regular) {
      // By name, O_NOFOLLOW: it was a file when stat'ed; swapped for a link since, the open
      // fails. The root of a single-file mount is reopened through its O_PATH descriptor.
      constexpr int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
      fd = *name ? io::open_no_atime(dir_fd, name, flags)
                 : io::open_no_atime(AT_FDCWD, ("/proc/self/fd/" + std::to_string(dir_fd)).c_str(),
                                     flags & ~O_NOFOLLOW);
      struct statx now {};
      if (!fd) {
        summary_.skipped.push_back(shown + ": cannot open: " + std::strerror(errno));
        return;
      }
      if (stat_entry(fd.get(), "", now) != 0 || now.stx_ino != st.stx_ino ||
          !S_ISREG(now.stx_mode)) {
        summary_.skipped.push_back(shown + ": replaced while it was read");
        return;
      }
    }
    out_.check(archive_write_header(out_.get(), e.get()), "cannot add " + shown);
    ++summary_.entries;
    if (!fd) return;
    // Exactly stx_size bytes: a file that grew is cut there, one that shrank is padded with
    // zeros by libarchive (the header is already written).
    summary_.bytes += write_file_data(out_, fd.get(), st.stx_size, block_, shown, cancel_);
  }

  void close() { out_.close("cannot finish the tar"); }

 private:
  tar_output out_;
  std::uint64_t limit_;
  const std::atomic<bool>* cancel_;
  mount_archive_summary& summary_;
  std::vector<char> block_ = std::vector<char>(1 << 20);
};

}  // namespace

mount_archive_summary archive_mount(int fd, const std::string& name, io::byte_sink& sink,
                                    std::uint64_t limit, const std::atomic<bool>* cancel) {
  mount_archive_summary summary;
  struct statx root {};
  if (const int err = stat_entry(fd, "", root)) throw_errno("cannot stat /" + name, err);
  pax_writer tar(sink, limit, cancel, summary);
  tar.add(fd, "", name, root);
  if (S_ISDIR(root.stx_mode)) {
    walk_tree(
        fd,
        [&](const walk_entry& e) {
          tar.add(e.dir_fd, e.name.c_str(), name + e.path, e.st);
          return true;
        },
        summary.skipped, cancel);
  }
  tar.close();
  return summary;
}

}  // namespace forensic::evidence::detail
