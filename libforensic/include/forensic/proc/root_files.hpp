#pragma once
// Reading a container's files from the host without ever leaving its root.
//
// /proc/<pid>/root is the container's root directory, but a naive open() of
// "/proc/<pid>/root/tmp/link" follows an absolute symlink planted inside the container
// ("/tmp/link -> /etc/shadow") relative to OUR root: it reads the host's /etc/shadow.
// openat2(2) with RESOLVE_IN_ROOT resolves every symlink and ".." as if the directory were
// "/", so nothing outside the container's root can be reached; RESOLVE_NO_MAGICLINKS refuses
// /proc/self/... style jumps as well. The path is located with O_PATH and only a regular file
// is then opened: a FIFO or device node planted by the container is never open()ed. Files are
// opened with O_NOATIME (io/no_atime.hpp): reading evidence leaves its access time as it was.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "forensic/io/byte_sink.hpp"
#include "forensic/io/unique_fd.hpp"

namespace forensic::proc {

// Opens `path` (absolute or relative, in the container's view) for reading below `root`
// (a directory such as /proc/<pid>/root). Throws errc::not_found when it does not exist
// there, errc::io for anything else (including a path that is not a regular file).
io::unique_fd open_in_root(const std::filesystem::path& root, std::string_view path);

// Locates `path` below `root` as open_in_root does, whatever its type, and returns an O_PATH
// descriptor (nothing is opened for reading: a device node or FIFO is safe to hold). Reopen a
// directory with openat(fd, ".", O_DIRECTORY ...); a file through /proc/self/fd/<fd>. Throws
// errc::not_found when it does not exist there, errc::io for anything else.
io::unique_fd locate_in_root(const std::filesystem::path& root, std::string_view path);

// Opens the directory `path` below `root` for reading its entries, resolved as
// locate_in_root() does (O_DIRECTORY: anything but a directory is refused before it is opened,
// and without updating its access time where we may). Throws as locate_in_root().
io::unique_fd open_directory_in_root(const std::filesystem::path& root, std::string_view path);

// Streams an open file into `sink` (at most `max_bytes`; more throws errc::io naming `what`),
// returning the number of bytes copied. The sink is not finished.
std::uint64_t copy_file(int fd, io::byte_sink& sink, std::uint64_t max_bytes,
                        const std::string& what);

// Streams the file into `sink` (at most `max_bytes`; longer files throw errc::io), returning
// the number of bytes copied. The sink is not finished.
std::uint64_t copy_in_root(const std::filesystem::path& root, std::string_view path,
                           io::byte_sink& sink, std::uint64_t max_bytes = 64ull << 20);

}  // namespace forensic::proc
