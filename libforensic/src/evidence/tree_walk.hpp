#pragma once
// Private to evidence: walking a directory tree from the host by directory descriptors, for the
// bodyfile (bodyfile.hpp) and the mount archives (mount_archive.hpp). One name at a time below
// a descriptor: no path is ever resolved from "/", so depth has no PATH_MAX limit and no link
// inside the tree is ever followed. Directories are opened O_NOFOLLOW | O_NOATIME (listing one
// sets its access time otherwise) and only the current one is held, the way back up being "..",
// checked against the directory we came from (as deep_paths.cpp does).
#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace forensic::evidence::detail {

// statx(2) of `name` in `dir_fd` (or of `dir_fd` itself when `name` is ""), never following a
// link and never opening anything: type, mode, owners, size, inode, the four times (birth time
// when the filesystem has one: STATX_BTIME in stx_mask) and the mount id. Returns 0 or an errno.
int stat_entry(int dir_fd, const char* name, struct statx& st) noexcept;

// Whether `a` and `b` are on the same mount: by mount id where the kernel reports it (5.8+),
// else by device (which cannot tell two bind mounts of one filesystem apart).
bool same_mount(const struct statx& a, const struct statx& b) noexcept;

struct walk_entry {
  int dir_fd;               // the directory that holds it
  const std::string& name;  // its name there
  const std::string& path;  // from the walk's root: "/a/b"
  const struct statx& st;
};

// Called for every entry below the root; for a directory, returning true descends into it.
using walk_visitor = std::function<bool(const walk_entry&)>;

// Walks everything below the directory `root_fd` (which may be an O_PATH descriptor; the root
// itself is not visited), in name order per directory, each entry before what is below it.
// Entries on another mount than the root (the root of a mount nested here) are left out.
// Entries that cannot be stat'ed and directories that cannot be opened are appended to
// `skipped` ("/a/b: why"); directories deeper than 100,000 levels are not descended into.
// Throws errc::cancelled when `cancel` turns true, errc::conflict when a directory above the
// current one was moved during the walk.
void walk_tree(int root_fd, const walk_visitor& visit, std::vector<std::string>& skipped,
               const std::atomic<bool>* cancel = nullptr);

}  // namespace forensic::evidence::detail
