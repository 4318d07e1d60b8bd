#include "forensic/io/unique_fd.hpp"

#include <unistd.h>

#include <cerrno>

#include "forensic/error.hpp"

namespace forensic::io {

void unique_fd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

void unique_fd::close(const char* what) {
  if (fd_ < 0) return;
  int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0 && errno != EINTR) throw_errno(what, errno);
}

}  // namespace forensic::io
