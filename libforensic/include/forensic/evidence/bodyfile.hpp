#pragma once
// MAC times in the sleuthkit body format, the input of `mactime -b` (and of plaso, Timesketch
// importers): one line per file,
//   MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime
// MD5 is 0 (nothing is read to compute one); mode_as_string is ls(1)'s ("-rw-r--r--"); times
// are decimal seconds since the epoch with a nine-digit fraction when the filesystem keeps
// nanoseconds ("1577836800.123456789"), and crtime (birth time, statx STATX_BTIME) is 0 where
// the filesystem records none. In names, '%', '|' and control bytes are written as %HH, which
// mactime decodes.
//
// The times are taken with statx only, before anything reads a file's contents: a read moves
// the access time, and the access time is often the only trace of which files an intruder
// looked at.
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forensic/io/byte_sink.hpp"

namespace forensic::evidence {

struct bodyfile_time {
  std::int64_t seconds = 0;       // since the epoch (negative before 1970)
  std::uint32_t nanoseconds = 0;  // 0..999,999,999, added to seconds
};

struct bodyfile_entry {
  std::string name;  // as the container sees it: "/etc/passwd", "/dev/shm/x"
  std::uint64_t inode = 0;
  std::uint32_t mode = 0;  // st_mode: type and permission bits
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint64_t size = 0;
  bodyfile_time atime;
  bodyfile_time mtime;
  bodyfile_time ctime;
  std::optional<bodyfile_time> crtime;  // absent: the filesystem keeps no birth time
};

// ls(1)'s mode text: "-rw-r--r--", "drwxrwxrwt", "lrwxrwxrwx", "-rwsr-xr-x", "crw-rw-rw-".
std::string mode_string(std::uint32_t mode);
// "1577836800" when nanoseconds is 0, else "1577836800.000000001"; "-0.500000000" before 1970.
std::string bodyfile_time_text(const bodyfile_time& t);
// The name with '%', '|' and bytes below 0x20 or 0x7f as %HH (upper case hex).
std::string bodyfile_name(std::string_view name);
// One line, '\n' included.
std::string bodyfile_line(const bodyfile_entry& e);

struct bodyfile_summary {
  std::uint64_t entries = 0;         // lines written
  std::vector<std::string> skipped;  // "<name>: why" (could not be stat'ed or listed)
};

// Writes the line of `fd` itself (any descriptor, O_PATH included), named `prefix` ("/" when
// empty), then, when it is a directory, of everything below it on the same mount, named
// `prefix` + "/a/b". Nothing is opened but directories (O_NOFOLLOW | O_NOATIME); no link is
// followed. Throws errc::cancelled when `cancel` turns true.
bodyfile_summary write_bodyfile(int fd, const std::string& prefix, io::byte_sink& out,
                                const std::atomic<bool>* cancel = nullptr);

}  // namespace forensic::evidence
