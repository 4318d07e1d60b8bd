#include "forensic/evidence/deep_paths.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "evidence/tar_output.hpp"
#include "forensic/error.hpp"
#include "forensic/io/no_atime.hpp"
#include "forensic/io/unique_fd.hpp"
#include "io/c_handles.hpp"

namespace forensic::evidence {
namespace fs = std::filesystem;
namespace {

using detail::check;
using detail::tar_output;
using detail::write_file_data;
using io::archive_entry_ptr;

constexpr std::size_t max_depth = 100000;
constexpr std::size_t max_tops = 10;

struct child {
  std::string name;
  bool directory;
};

// The names in a directory (the fd stays open: closedir closes a dup).
std::vector<child> list(int dir_fd, const std::string& where) {
  const int copy = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) throw_errno("cannot read directory " + where, errno);
  io::c_dir dir(::fdopendir(copy));
  if (!dir) {
    ::close(copy);
    throw_errno("cannot read directory " + where, errno);
  }
  std::vector<child> out;
  errno = 0;
  while (const dirent* d = ::readdir(dir.get())) {
    const std::string name = d->d_name;
    if (name == "." || name == "..") continue;
    bool is_dir = d->d_type == DT_DIR;
    if (d->d_type == DT_UNKNOWN) {
      struct stat st {};
      is_dir = ::fstatat(dir_fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    }
    out.push_back({name, is_dir});
    errno = 0;  // fstatat may have set it: only readdir's own failure counts below
  }
  if (errno != 0) throw_errno("cannot read directory " + where, errno);
  return out;
}

void check_cancel(const std::atomic<bool>* cancel) {
  if (cancel && cancel->load()) {
    throw error(errc::cancelled, "interrupted while reading deep paths");
  }
}

class tar_writer {
 public:
  tar_writer(io::byte_sink& sink, const std::atomic<bool>* cancel) : out_(sink), cancel_(cancel) {
    check(out_.get(), archive_write_set_format_pax_restricted(out_.get()), "tar format");
    check(out_.get(), archive_write_set_bytes_in_last_block(out_.get(), 1), "tar block");
    out_.open("tar open");
  }
  // Adds `name` (in directory `dir_fd`) as `path`; returns the content bytes written, or sets
  // the reason it was not archived.
  std::uint64_t add(int dir_fd, const std::string& name, const std::string& path,
                    std::string& not_archived) {
    struct stat st {};
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      not_archived = std::string("cannot stat: ") + std::strerror(errno);
      return 0;
    }
    if (S_ISSOCK(st.st_mode)) {
      not_archived = "a socket (tar cannot hold one)";
      return 0;
    }
    archive_entry_ptr e(archive_entry_new());
    archive_entry_copy_pathname(e.get(), path.c_str());
    archive_entry_copy_stat(e.get(), &st);
    archive_entry_set_nlink(e.get(), 1);  // each entry stands alone: no hard-link records
    if (S_ISLNK(st.st_mode)) {
      std::string target(PATH_MAX, '\0');
      const ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
      if (n < 0) {
        not_archived = std::string("cannot read the link: ") + std::strerror(errno);
        return 0;
      }
      target.resize(static_cast<std::size_t>(n));
      archive_entry_copy_symlink(e.get(), target.c_str());
    }
    if (!S_ISREG(st.st_mode)) archive_entry_set_size(e.get(), 0);
    io::unique_fd fd;
    if (S_ISREG(st.st_mode)) {
      // O_NOFOLLOW: the name was a file when stat'ed; if it was swapped for a link since, fail.
      fd = io::open_no_atime(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
      if (!fd) {
        not_archived = std::string("cannot open: ") + std::strerror(errno);
        return 0;
      }
    }
    out_.check(archive_write_header(out_.get(), e.get()), "cannot add " + path);
    if (!fd) return 0;
    // Exactly st_size bytes: a file that grew is cut there, one that shrank is padded by
    // libarchive with zeros (the header is already written).
    return write_file_data(out_, fd.get(), static_cast<std::uint64_t>(st.st_size), block_, path,
                           cancel_);
  }
  void close() { out_.close("cannot finish the tar"); }

 private:
  tar_output out_;
  const std::atomic<bool>* cancel_;
  std::vector<char> block_ = std::vector<char>(1 << 20);  // one read buffer for every file
};

// One directory being walked: its names, where we are in them, and who it is (to check the
// way back up).
struct frame {
  std::vector<child> children;
  std::size_t next = 0;
  dev_t dev = 0;
  ino_t ino = 0;
  std::size_t path_length = 0;  // of its container path
};

frame enter(int fd, std::size_t path_length, const std::string& where) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno("cannot stat " + where, errno);
  return {list(fd, where), 0, st.st_dev, st.st_ino, path_length};
}

}  // namespace

deep_paths_summary archive_deep_paths(const fs::path& layer_dir, std::size_t engine_prefix_length,
                                      const std::function<io::byte_sink&()>& open_sink,
                                      const std::atomic<bool>* cancel) {
  deep_paths_summary summary;
  std::unique_ptr<tar_writer> tar;
  // O_NOATIME on directories too: listing one sets its access time like reading a file does.
  io::unique_fd fd = io::open_no_atime(AT_FDCWD, layer_dir.c_str(),
                                       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (!fd) throw_errno("cannot open " + layer_dir.string(), errno);
  // Only the current directory's fd is held, so the depth costs no descriptors: the way back up
  // is "..", checked against the directory we came from (a rename while we walk must not send us
  // elsewhere).
  std::vector<frame> stack;
  stack.push_back(enter(fd.get(), 0, layer_dir.string()));
  std::string path;  // the container path of the current directory ("" for "/")
  while (!stack.empty()) {
    frame& top = stack.back();
    if (top.next == top.children.size()) {
      stack.pop_back();
      if (stack.empty()) break;
      io::unique_fd parent(::openat(fd.get(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      struct stat st {};
      if (!parent || ::fstat(parent.get(), &st) != 0 || st.st_dev != stack.back().dev ||
          st.st_ino != stack.back().ino) {
        throw error(errc::conflict, "the directory above " + path + " changed while it was walked");
      }
      fd = std::move(parent);
      path.resize(stack.back().path_length);
      continue;
    }
    check_cancel(cancel);
    const child& c = top.children[top.next++];
    const std::string child_path = path + "/" + c.name;
    if (engine_prefix_length + child_path.size() >= PATH_MAX) {
      if (!tar) tar = std::make_unique<tar_writer>(open_sink(), cancel);
      std::string why;
      summary.bytes += tar->add(fd.get(), c.name, child_path.substr(1), why);
      if (why.empty()) {
        ++summary.entries;
        if (engine_prefix_length + path.size() < PATH_MAX && summary.tops.size() < max_tops) {
          summary.tops.push_back(child_path);
        }
      } else {
        summary.skipped.push_back(child_path + ": " + why);
      }
    }
    if (!c.directory) continue;
    if (stack.size() > max_depth) {
      summary.skipped.push_back(child_path + ": deeper than " + std::to_string(max_depth) +
                                " levels, not walked");
      continue;
    }
    io::unique_fd sub = io::open_no_atime(fd.get(), c.name.c_str(),
                                          O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (!sub) {
      summary.skipped.push_back(child_path + ": cannot open: " + std::strerror(errno));
      continue;
    }
    frame next;
    try {
      next = enter(sub.get(), child_path.size(), child_path);
    } catch (const error& e) {
      summary.skipped.push_back(child_path + ": " + e.what());
      continue;
    }
    fd = std::move(sub);
    path = child_path;
    stack.push_back(std::move(next));
  }
  if (tar) tar->close();
  return summary;
}

}  // namespace forensic::evidence
