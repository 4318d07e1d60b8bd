#include "forensic/io/no_atime.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace forensic::io {

unique_fd open_no_atime(int dir_fd, const char* path, int flags) noexcept {
  int fd = ::openat(dir_fd, path, flags | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = ::openat(dir_fd, path, flags);
  return unique_fd(fd);
}

namespace {

int openat2(int dir_fd, const char* path, std::uint64_t flags, std::uint64_t resolve) noexcept {
  open_how how{};
  how.flags = flags;
  how.resolve = resolve;
  return static_cast<int>(::syscall(SYS_openat2, dir_fd, path, &how, sizeof how));
}

}  // namespace

unique_fd open_no_atime(int dir_fd, const char* path, int flags, std::uint64_t resolve) noexcept {
  const auto plain = static_cast<std::uint64_t>(flags);
  std::uint64_t with = (flags & O_PATH) ? plain : plain | O_NOATIME;
  int fd;
  do {
    fd = openat2(dir_fd, path, with, resolve);
    if (fd < 0 && errno == EPERM && with != plain) {
      with = plain;
      errno = EAGAIN;
    }
  } while (fd < 0 && errno == EAGAIN);
  return unique_fd(fd);
}

}  // namespace forensic::io
