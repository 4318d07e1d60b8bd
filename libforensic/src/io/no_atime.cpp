#include "forensic/io/no_atime.hpp"

#include <fcntl.h>

#include <cerrno>

namespace forensic::io {

unique_fd open_no_atime(int dir_fd, const char* path, int flags) noexcept {
  int fd = ::openat(dir_fd, path, flags | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = ::openat(dir_fd, path, flags);
  return unique_fd(fd);
}

}  // namespace forensic::io
