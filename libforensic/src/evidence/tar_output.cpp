#include "evidence/tar_output.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "forensic/error.hpp"

namespace forensic::evidence::detail {

void fail(archive* a, const std::string& what) {
  const char* msg = a ? archive_error_string(a) : nullptr;
  throw error(errc::archive, what + ": " + (msg ? msg : "libarchive error"));
}

void check(archive* a, int rc, const std::string& what) {
  if (rc < ARCHIVE_WARN) fail(a, what);
}

tar_output::tar_output(io::byte_sink& sink) : sink_(&sink), a_(archive_write_new()) {
  if (!a_) throw error(errc::archive, "cannot allocate an archive writer");
}

void tar_output::open(const std::string& what) {
  check(archive_write_open(get(), this, nullptr, &tar_output::write, nullptr), what);
}

void tar_output::check(int rc, const std::string& what) {
  if (rc < ARCHIVE_WARN) fail(what);
}

void tar_output::fail(const std::string& what) {
  // The sink's own error is the cause; libarchive's message would only say "write failed".
  if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
  detail::fail(get(), what);
}

la_ssize_t tar_output::write(archive*, void* self, const void* data, size_t size) {
  auto* out = static_cast<tar_output*>(self);
  // Exceptions must not cross libarchive's C frames.
  try {
    out->sink_->write({static_cast<const std::byte*>(data), size});
    return static_cast<la_ssize_t>(size);
  } catch (...) {
    if (!out->failure_) out->failure_ = std::current_exception();
    return -1;
  }
}

std::uint64_t write_file_data(tar_output& out, int fd, std::uint64_t limit,
                              std::vector<char>& block, const std::string& name,
                              const std::atomic<bool>* cancel) {
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
    if (archive_write_data(out.get(), block.data(), static_cast<size_t>(n)) != n) {
      out.fail("cannot write " + name);
    }
    done += static_cast<std::uint64_t>(n);
  }
  return done;
}

}  // namespace forensic::evidence::detail
