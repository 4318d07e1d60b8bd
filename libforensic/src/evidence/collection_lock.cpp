#include "forensic/evidence/collection_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace forensic::evidence {
namespace {

// The pid the holder wrote. It writes it right after taking the lock: a reader that comes in
// between sees an empty file, so it looks again for a moment.
int holder_of(int fd) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    if (n > 0) {
      int pid = 0;
      for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i) {
        pid = pid * 10 + (buf[i] - '0');
        if (pid > 1 << 22) return 0;  // above any pid_max: not a pid
      }
      return pid;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return 0;
}

}  // namespace

collection_lock::collection_lock(const std::filesystem::path& directory,
                                 const std::string& container_id)
    : path_(directory / ("collect-" + container_id + ".lock")) {
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    throw_errno("cannot create the lock directory " + directory.string(), errno);
  }
  fd_.reset(::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd_) throw_errno("cannot open the collection lock " + path_.string(), errno);
  if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err != EWOULDBLOCK) throw_errno("cannot lock " + path_.string(), err);
    const int holder = holder_of(fd_.get());
    throw collection_locked(
        "container " + container_id.substr(0, 12) + " is being collected already by " +
            (holder > 0 ? "pid " + std::to_string(holder) : std::string("another process")) +
            " (lock " + path_.string() + "): run again once it has finished",
        holder);
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_.get(), 0) != 0 ||
      ::pwrite(fd_.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    throw_errno("cannot write the collection lock " + path_.string(), errno);
  }
}

collection_lock::~collection_lock() {
  // Emptied before the unlock: the next holder writes its own pid into an empty file.
  if (fd_ && ::ftruncate(fd_.get(), 0) != 0) {
    // A stale pid left behind is overwritten by the next holder; nothing else to do here.
  }
}

}  // namespace forensic::evidence
