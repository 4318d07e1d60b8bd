#pragma once
// One collection per container at a time. Two collections of one container would pause and
// unpause it under each other (the second sees "already paused" and says so in its manifest,
// then the first unpauses while the second is still copying): so each collection holds an
// exclusive flock(2) on <dir>/collect-<container id>.lock from before anything is written or
// paused until its bundle is sealed. The holder's pid is written in the file so that the one
// refused can name it. The lock dies with its holder (SIGKILL included): no stale lock to clear.
#include <filesystem>
#include <string>

#include "forensic/error.hpp"
#include "forensic/io/unique_fd.hpp"

namespace forensic::evidence {

// Another collection holds the container's lock (errc::conflict); what() names it in one line.
class collection_locked : public error {
 public:
  collection_locked(const std::string& what, int holder_pid)
      : error(errc::conflict, what), holder_pid_(holder_pid) {}
  int holder_pid() const noexcept { return holder_pid_; }  // 0 when the file named none

 private:
  int holder_pid_;
};

class collection_lock {
 public:
  // Where ir-collect keeps its locks.
  static constexpr const char* default_directory = "/run/forensic";

  // Takes the lock of `container_id` (the full id) without waiting. Throws collection_locked
  // when another holds it; errc::permission_denied / errc::io when the lock file cannot be
  // created (the message names the path).
  collection_lock(const std::filesystem::path& directory, const std::string& container_id);
  ~collection_lock();  // releases (the file stays, emptied: removing it would race a newcomer)
  collection_lock(const collection_lock&) = delete;
  collection_lock& operator=(const collection_lock&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
  io::unique_fd fd_;
};

}  // namespace forensic::evidence
