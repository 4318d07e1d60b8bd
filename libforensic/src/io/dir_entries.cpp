#include "io/dir_entries.hpp"

#include <sys/types.h>

#include <cerrno>
#include <cstring>

namespace forensic::io {

const dirent64* dir_entries::next() noexcept {
  for (;;) {
    if (at_ >= end_) {
      const ssize_t n = ::getdents64(fd_, buffer_, sizeof buffer_);
      if (n <= 0) {
        if (n == 0) errno = 0;
        return nullptr;
      }
      at_ = 0;
      end_ = static_cast<std::size_t>(n);
    }
    const auto* e = reinterpret_cast<const dirent64*>(buffer_ + at_);
    at_ += e->d_reclen;
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) return e;
  }
}

}  // namespace forensic::io
