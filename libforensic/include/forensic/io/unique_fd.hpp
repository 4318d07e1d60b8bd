#pragma once
// A move-only owner of a POSIX file descriptor (like fmt::file). close() reports errors; the
// destructor is the silent fallback.
#include <cstddef>
#include <optional>
#include <string>
#include <utility>

namespace forensic::io {

class unique_fd {
 public:
  unique_fd() noexcept = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept;
  // Closes and throws forensic::error on failure (a failed close can mean lost writes on NFS).
  void close(const char* what = "close");

 private:
  int fd_ = -1;
};

// Reads `fd` from where it stands until end of file (files of /proc report size 0, so their
// size is not asked). nullopt on a read error (errno kept) or once more than `cap` bytes came.
// `regular_size`, when the caller knows `fd` is a regular file of that st_size, makes the
// first read ask for one byte more than that: a regular file reads short only at its end, so
// a short answer is the whole file and the empty read after it is not made.
std::optional<std::string> read_to_end(int fd, std::size_t cap, std::size_t regular_size = 0);

}  // namespace forensic::io
