#pragma once
// The mount table of a process's mount namespace, as /proc/<pid>/mountinfo gives it
// (proc(5)): for a container's init, every mount the container sees, with mount points in the
// container's own view ("/dev/shm", "/data").
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace forensic::proc {

struct mount_entry {
  std::uint64_t mount_id = 0;  // unique in the namespace; statx STATX_MNT_ID reports the same
  std::uint64_t parent_id = 0;
  unsigned major = 0;
  unsigned minor = 0;
  std::string root;         // the directory of the filesystem mounted here ("/" or a bind's)
  std::string mount_point;  // relative to the process's root
  std::string options;      // per-mount options ("rw,nosuid,nodev")
  std::string fstype;       // "tmpfs", "ext4", "overlay", "proc"...
  std::string source;       // "tmpfs", "/dev/sda1", "shm"...
  std::string super_options;
  bool read_only() const;  // "ro" among the per-mount options
};

// Parses mountinfo text. Octal escapes (\040 for a space, \011, \012, \134) are decoded; lines
// that do not have the documented fields throw errc::parse naming the line.
std::vector<mount_entry> parse_mountinfo(std::string_view text);

// Reads and parses /proc/<pid>/mountinfo. Throws errc::not_found when the process is gone.
std::vector<mount_entry> read_mountinfo(int pid);

}  // namespace forensic::proc
