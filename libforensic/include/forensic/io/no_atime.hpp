#pragma once
// Opening evidence without leaving a trace on it. A read through an ordinary descriptor sets
// the file's access time (with relatime, whenever it is older than the last change or a day
// old), which destroys the one timestamp that says when an intruder last looked at a file.
// O_NOATIME asks the kernel not to; it is refused (EPERM) unless the caller owns the file or
// holds CAP_FOWNER, and then the open is retried without it: reading matters more than the
// access time. Overlayfs passes the flag on to the file of the layer underneath.
#include <cstdint>

#include "forensic/io/unique_fd.hpp"

namespace forensic::io {

// openat(2) of `path` relative to `dir_fd` (AT_FDCWD for the working directory) with `flags`
// plus O_NOATIME, falling back to `flags` alone on EPERM. Returns an empty unique_fd with
// errno set on failure.
unique_fd open_no_atime(int dir_fd, const char* path, int flags) noexcept;

// The same through openat2(2) (glibc 2.36 has no wrapper), resolving `path` under the RESOLVE_*
// rules in `resolve` (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS: no link followed at any step, not
// only the last) and retrying while the kernel asks to (EAGAIN). O_PATH, which opens nothing,
// goes without O_NOATIME (openat2 refuses the pair). Fails with ENOSYS before Linux 5.6.
unique_fd open_no_atime(int dir_fd, const char* path, int flags, std::uint64_t resolve) noexcept;

}  // namespace forensic::io
