#include "response/program.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "forensic/error.hpp"
#include "forensic/io/unique_fd.hpp"

extern char** environ;

namespace forensic::response::detail {
namespace {

struct pipe_pair {
  io::unique_fd read, write;
};

pipe_pair make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe", errno);
  return {io::unique_fd(fds[0]), io::unique_fd(fds[1])};
}

// Feeds stdin and drains stdout/stderr together so that neither side can block on a full pipe.
void pump(io::unique_fd& in, io::unique_fd& out, io::unique_fd& err, const std::string& input,
          program_result& r) {
  std::size_t written = 0;
  if (input.empty()) in.reset();
  char buf[16384];
  while (out || err || in) {
    pollfd fds[3];
    int n = 0;
    if (out) fds[n++] = {out.get(), POLLIN, 0};
    if (err) fds[n++] = {err.get(), POLLIN, 0};
    if (in) fds[n++] = {in.get(), POLLOUT, 0};
    if (::poll(fds, static_cast<nfds_t>(n), -1) < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll", errno);
    }
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (in && fds[i].fd == in.get()) {
        ssize_t w = ::write(in.get(), input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if ((w < 0 && errno != EINTR && errno != EAGAIN) || written == input.size()) in.reset();
        continue;
      }
      io::unique_fd& fd = (out && fds[i].fd == out.get()) ? out : err;
      ssize_t got = ::read(fd.get(), buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        fd.reset();
        continue;
      }
      (&fd == &out ? r.out : r.err).append(buf, static_cast<std::size_t>(got));
    }
  }
}

}  // namespace

program_result run_program(const std::vector<std::string>& argv, const std::string& input) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
    throw error(errc::invalid_argument, "run_program needs an absolute path");
  }
  auto in = make_pipe(), out = make_pipe(), err = make_pipe();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out.write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err.write.get(), 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // A fixed environment: the caller's may carry LD_PRELOAD or XTABLES_LIBDIR.
  char path_env[] = "PATH=/usr/sbin:/sbin:/usr/bin:/bin";
  char lang_env[] = "LC_ALL=C";
  char* env[] = {path_env, lang_env, nullptr};
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), env);
  posix_spawn_file_actions_destroy(&actions);
  in.read.reset();
  out.write.reset();
  err.write.reset();
  if (rc != 0) throw error(errc::io, "cannot run " + argv[0] + ": " + std::strerror(rc));
  program_result r;
  // A child that exits before reading all its stdin would raise SIGPIPE in us: block it in this
  // thread while we write, and swallow one that became pending.
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  auto restore_mask = [&] {
    timespec zero{};
    while (::sigtimedwait(&pipe_set, nullptr, &zero) > 0) {
    }
    ::pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  };
  try {
    pump(in.write, out.read, err.read, input, r);
  } catch (...) {
    restore_mask();
    int status = 0;
    ::waitpid(pid, &status, 0);
    throw;
  }
  restore_mask();
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("waitpid " + argv[0], errno);
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::optional<std::string> find_program(const std::string& name) {
  for (const char* dir : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
    std::string path = std::string(dir) + "/" + name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return std::nullopt;
}

}  // namespace forensic::response::detail
