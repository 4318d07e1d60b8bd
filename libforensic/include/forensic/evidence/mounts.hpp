#pragma once
// What is mounted into a container besides its image, and which of it a collection copies.
//
// `docker export` holds the image and the writable layer only: a file in /dev/shm, in a
// --tmpfs mount, in a named volume or a bind mount is not in it. The container's own mount
// table (/proc/<pid>/mountinfo of its init) says what is mounted where; the engine's inspect
// `Mounts` names the host source of each volume and bind mount. Volumes, tmpfs mounts (/dev and
// /dev/shm included), bind mounts of ordinary host directories and the files the engine keeps
// for the container (/etc/hosts, /etc/hostname, /etc/resolv.conf) are copied. Bind mounts of
// host system directories (/, /etc, /usr, /run, /var/lib/docker, the engine socket...) are
// listed, not copied unless asked: they are the host's files, not the container's, and can be
// huge. Kernel pseudo-filesystems and the runtime's masks over /proc and /sys hold nothing to
// copy.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "forensic/proc/mountinfo.hpp"

namespace forensic::evidence {

struct container_mount {
  std::size_t index = 0;       // position in the plan; names the tar (mounts/<index>-<name>.tar)
  std::string destination;     // where the container sees it: "/data", "/dev/shm"
  std::string type;            // "volume", "bind", "tmpfs", or the filesystem type ("proc")
  std::string source;          // host path of a volume or bind; "" when none is known
  std::string volume;          // a named volume's name
  std::string fstype;          // from the mount table
  std::uint64_t mount_id = 0;  // from the mount table; 0 when the engine names a mount not there
  bool read_write = true;
  bool copy = false;   // taken into the bundle
  std::string reason;  // why it is (or is not) copied, in the responder's words
};

// True for a host path a bind mount must not be copied from by default: the root, a system
// directory (/bin, /boot, /dev, /etc, /lib*, /proc, /root, /run, /sbin, /sys, /usr, /var/run,
// /var/lib/docker, /var/lib/containerd), anything below one, anything above one (/var holds
// /var/lib/docker), and an engine socket anywhere (docker.sock, containerd.sock, podman.sock).
// The path is taken lexically ("//etc/./" is /etc).
bool is_host_system_path(std::string_view host_path);

// The plan for one container: every entry of its mount table but the root (the image and the
// writable layer, which the export holds), in mount order, matched with the engine's inspect
// document (`Mounts`, `HostsPath`, `HostnamePath`, `ResolvConfPath`, the container `Id`), then
// the inspect's mounts missing from the table (not copied). `copy_system` also copies bind
// mounts of system directories and mounts the engine does not name.
std::vector<container_mount> plan_container_mounts(const std::vector<proc::mount_entry>& table,
                                                   const nlohmann::json& inspect, bool copy_system);

// {"index", "destination", "type", "source", "volume", "fstype", "mount_id", "read_write",
//  "copied", "reason"}: the start of a mounts/mounts.json entry (docs/bundle.md).
nlohmann::json to_json(const container_mount& m);

}  // namespace forensic::evidence
