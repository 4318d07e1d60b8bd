#include "evidence/tar_output.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "forensic/error.hpp"
#include "forensic/io/byte_sink.hpp"

namespace forensic::evidence::detail {

void fail(archive* a, const std::string& what) {
  const char* msg = a ? archive_error_string(a) : nullptr;
  throw error(errc::archive, what + ": " + (msg ? msg : "libarchive error"));
}

void check(archive* a, int rc, const std::string& what) {
  if (rc < ARCHIVE_WARN) fail(a, what);
}

la_ssize_t write_to_sink(archive*, void* sink, const void* data, size_t size) {
  try {
    static_cast<io::byte_sink*>(sink)->write({static_cast<const std::byte*>(data), size});
    return static_cast<la_ssize_t>(size);
  } catch (...) {
    return -1;
  }
}

std::uint64_t write_file_data(archive* a, int fd, std::uint64_t limit, std::vector<char>& block,
                              const std::string& name, const std::atomic<bool>* cancel) {
  std::uint64_t done = 0;
  while (done < limit) {
    if (cancel && cancel->load())
      throw error(errc::cancelled, "interrupted while archiving " + name);
    const ssize_t n =
        ::read(fd, block.data(),
               static_cast<std::size_t>(std::min<std::uint64_t>(limit - done, block.size())));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("cannot read " + name, errno);
    if (n == 0) break;
    if (archive_write_data(a, block.data(), static_cast<size_t>(n)) != n) {
      fail(a, "cannot write " + name);
    }
    done += static_cast<std::uint64_t>(n);
  }
  return done;
}

}  // namespace forensic::evidence::detail
