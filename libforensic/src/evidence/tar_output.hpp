#pragma once
// Private to evidence: what the two tar writers (the bundle archive, the deep-path archive) share
// on top of libarchive: error checks, output into a byte_sink, file content.
#include <archive.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "forensic/io/byte_sink.hpp"
#include "io/c_handles.hpp"

namespace forensic::evidence::detail {

// Throws errc::archive with `what` and libarchive's own message.
[[noreturn]] void fail(archive* a, const std::string& what);
void check(archive* a, int rc, const std::string& what);

// A libarchive writer whose output streams into a byte_sink (a hashing sink into the file, for
// one), so its digest is known at the last byte. libarchive only learns that the sink's write
// failed (-1); the exception itself is kept here and thrown by check()/fail() once the libarchive
// call returns, so a full disk stays errc::io instead of becoming an archive error. Not movable:
// libarchive holds its address.
class tar_output {
 public:
  // Allocates the writer; set the format and filters on get(), then open().
  explicit tar_output(io::byte_sink& sink);
  tar_output(const tar_output&) = delete;
  tar_output& operator=(const tar_output&) = delete;

  archive* get() const noexcept { return a_.get(); }
  void open(const std::string& what);
  // Throws the sink's exception when it failed, else errc::archive when rc < ARCHIVE_WARN.
  void check(int rc, const std::string& what);
  [[noreturn]] void fail(const std::string& what);
  // Writes the end of the archive (archive_write_close), reporting what the sink reports.
  void close(const std::string& what) { check(archive_write_close(get()), what); }

 private:
  static la_ssize_t write(archive*, void* self, const void* data, size_t size);
  io::byte_sink* sink_;
  std::exception_ptr failure_;
  io::archive_writer a_;  // last: freeing it flushes through write(), which sets failure_
};

// Writes the content of the open file `fd` (at most `limit` bytes) as the current entry's data,
// read through `block`. Stops with errc::cancelled when `cancel` turns true.
std::uint64_t write_file_data(tar_output& out, int fd, std::uint64_t limit,
                              std::vector<char>& block, const std::string& name,
                              const std::atomic<bool>* cancel = nullptr);

}  // namespace forensic::evidence::detail
