#pragma once
// Private to evidence: one mount of a container into a pax tar, read from the host through the
// container's root by directory descriptors (tree_walk.hpp): names exact, numeric owners,
// modes, nanosecond access/modification/change times (the birth time is the bodyfile's: GNU tar
// warns about libarchive's pax keyword for it), paths relative like `docker export`'s
// ("dev/shm/x"). Files are opened O_NOFOLLOW |
// O_NONBLOCK | O_NOATIME, only once stat'ed as regular files; device nodes, FIFOs and links are
// recorded, never opened.
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "forensic/io/byte_sink.hpp"

namespace forensic::evidence::detail {

struct mount_archive_summary {
  std::uint64_t entries = 0;  // archived
  std::uint64_t bytes = 0;    // file content archived
  // Files whose content did not fit under the limit: not archived at all.
  std::uint64_t left_out_files = 0;
  std::uint64_t left_out_bytes = 0;
  std::vector<std::string> left_out_first;  // up to 10 of their paths ("/data/big")
  std::vector<std::string> skipped;         // "<path>: why" (a socket, unreadable, changed)
};

// Archives `fd` (an O_PATH descriptor of the mount's root, a directory or a single file) and
// everything below it on the same mount as `name` ("dev/shm", no leading '/') into `sink`,
// with at most `limit` bytes of file content: a file that would pass the limit is left out
// (counted) and the walk goes on. The tar is finished; the sink is not. Throws errc::cancelled
// when `cancel` turns true, errc::archive / io when the tar cannot be written or read.
mount_archive_summary archive_mount(int fd, const std::string& name, io::byte_sink& sink,
                                    std::uint64_t limit, const std::atomic<bool>* cancel);

}  // namespace forensic::evidence::detail
