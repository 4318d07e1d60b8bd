#pragma once
// The entries of a directory the caller opened (O_RDONLY | O_DIRECTORY), read with getdents64
// into a buffer of our own. opendir/fdopendir cost a stat and two fcntl per directory to check
// what the caller's open already guarantees; a walk that opens hundreds of small directories
// (a container's /dev, for each of hundreds of containers) pays them for nothing.
#include <dirent.h>

#include <cstddef>

namespace forensic::io {

class dir_entries {
 public:
  // `fd` stays the caller's: it is read, never closed.
  explicit dir_entries(int fd) noexcept : fd_(fd) {}
  dir_entries(const dir_entries&) = delete;
  dir_entries& operator=(const dir_entries&) = delete;

  // The next entry other than "." and "..", or nullptr at the end (errno 0) or when the
  // directory cannot be read (errno set).
  const dirent64* next() noexcept;

 private:
  int fd_;
  std::size_t at_ = 0;
  std::size_t end_ = 0;
  alignas(dirent64) char buffer_[8192];
};

}  // namespace forensic::io
