#pragma once
// Private to evidence: what the two tar writers (the bundle archive, the deep-path archive) share
// on top of libarchive: owning handles, error checks, output into a byte_sink, file content.
#include <archive.h>
#include <archive_entry.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace forensic::evidence::detail {

struct archive_write_deleter {
  void operator()(archive* a) const noexcept { archive_write_free(a); }
};
struct archive_entry_deleter {
  void operator()(archive_entry* e) const noexcept { archive_entry_free(e); }
};
using archive_writer = std::unique_ptr<archive, archive_write_deleter>;
using entry_ptr = std::unique_ptr<archive_entry, archive_entry_deleter>;

// Throws errc::archive with `what` and libarchive's own message.
[[noreturn]] void fail(archive* a, const std::string& what);
void check(archive* a, int rc, const std::string& what);

// An archive_write_open callback whose client data is an io::byte_sink*: the archive streams
// through it (a hashing sink into the file, for one), so its digest is known at the last byte.
la_ssize_t write_to_sink(archive*, void* sink, const void* data, size_t size);

// Writes the content of the open file `fd` (at most `limit` bytes) as the current entry's data,
// read through `block`. Stops with errc::cancelled when `cancel` turns true.
std::uint64_t write_file_data(archive* a, int fd, std::uint64_t limit, std::vector<char>& block,
                              const std::string& name, const std::atomic<bool>* cancel = nullptr);

}  // namespace forensic::evidence::detail
