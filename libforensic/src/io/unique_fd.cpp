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

std::optional<std::string> read_to_end(int fd, std::size_t cap, std::size_t regular_size) {
  std::string out;
  if (regular_size > 0 && regular_size <= cap) {
    out.resize(regular_size + 1);
    ssize_t n;
    do {
      n = ::read(fd, out.data(), out.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) return std::nullopt;
    out.resize(static_cast<std::size_t>(n));
    if (out.size() <= regular_size) return out;  // short: the end of the file
    if (out.size() > cap) return std::nullopt;
  }
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > cap) return std::nullopt;
  }
}

}  // namespace forensic::io
