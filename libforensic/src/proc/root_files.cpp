#include "forensic/proc/root_files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "forensic/error.hpp"
#include "forensic/io/no_atime.hpp"

namespace forensic::proc {
namespace {

// openat2(root, path, flags) with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS and, unless O_PATH,
// O_NOATIME where we may (io/no_atime.hpp); throws as locate_in_root() documents.
io::unique_fd resolve_in_root(const std::filesystem::path& root, std::string_view path, int flags) {
  io::unique_fd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) throw_errno("cannot open container root " + root.string(), errno);
  std::string relative(path);
  while (!relative.empty() && relative.front() == '/') relative.erase(0, 1);
  if (relative.empty()) relative = ".";
  io::unique_fd fd = io::open_no_atime(dir.get(), relative.c_str(), flags | O_CLOEXEC,
                                       RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  const std::string what = std::string(path) + " inside " + root.string();
  if (!fd) {
    if (errno == ENOENT) throw error(errc::not_found, "no file " + what);
    if (errno == ENOSYS)
      throw error(errc::io, "kernel lacks openat2 (Linux >= 5.6 needed) for " + what);
    throw_errno("cannot open " + what, errno);
  }
  return fd;
}

}  // namespace

io::unique_fd locate_in_root(const std::filesystem::path& root, std::string_view path) {
  // O_PATH first: it opens nothing, so a planted device node (a watchdog, a tape, the host's
  // disk: the container may mknod any of them) or FIFO is refused before any open() with side
  // effects. The caller reopens what it accepts through this descriptor, the very same inode.
  return resolve_in_root(root, path, O_PATH);
}

io::unique_fd open_directory_in_root(const std::filesystem::path& root, std::string_view path) {
  // O_DIRECTORY is checked on the resolved inode before it is opened: a device node or FIFO in
  // its place fails with ENOTDIR, unopened.
  return resolve_in_root(root, path, O_RDONLY | O_DIRECTORY);
}

io::unique_fd open_in_root(const std::filesystem::path& root, std::string_view path) {
  io::unique_fd located = locate_in_root(root, path);
  const std::string what = std::string(path) + " inside " + root.string();
  struct stat st {};
  if (::fstat(located.get(), &st) != 0) throw_errno("cannot stat " + what, errno);
  if (!S_ISREG(st.st_mode)) throw error(errc::io, what + " is not a regular file");
  const std::string reopen = "/proc/self/fd/" + std::to_string(located.get());
  io::unique_fd file =
      io::open_no_atime(AT_FDCWD, reopen.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (!file) throw_errno("cannot open " + what, errno);
  ::fcntl(file.get(), F_SETFL, ::fcntl(file.get(), F_GETFL) & ~O_NONBLOCK);
  return file;
}

std::uint64_t copy_file(int fd, io::byte_sink& sink, std::uint64_t max_bytes,
                        const std::string& what) {
  std::vector<std::byte> block(256 * 1024);
  std::uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd, block.data(), block.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot read " + what, errno);
    }
    if (n == 0) break;
    total += static_cast<std::uint64_t>(n);
    if (total > max_bytes) {
      throw error(errc::io, what + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
    sink.write({block.data(), static_cast<std::size_t>(n)});
  }
  return total;
}

std::uint64_t copy_in_root(const std::filesystem::path& root, std::string_view path,
                           io::byte_sink& sink, std::uint64_t max_bytes) {
  io::unique_fd file = open_in_root(root, path);
  return copy_file(file.get(), sink, max_bytes, std::string(path) + " inside " + root.string());
}

}  // namespace forensic::proc
