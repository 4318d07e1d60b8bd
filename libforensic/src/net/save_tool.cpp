#include "net/save_tool.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "forensic/error.hpp"
#include "forensic/io/unique_fd.hpp"

extern char** environ;

namespace forensic::net::detail {
namespace {

struct spawn_actions {
  posix_spawn_file_actions_t a;
  spawn_actions() { posix_spawn_file_actions_init(&a); }
  ~spawn_actions() { posix_spawn_file_actions_destroy(&a); }
};

}  // namespace

spawn_result run_program(const std::string& program, const std::vector<std::string>& args,
                         int timeout_ms) {
  spawn_result r;
  std::string path;
  for (const char* dir : {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"}) {
    if (::access((dir + program).c_str(), X_OK) == 0) {
      path = dir + program;
      break;
    }
  }
  if (path.empty()) return r;
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw_errno("pipe", errno);
  io::unique_fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw_errno("pipe", errno);
  io::unique_fd err_read(err_pipe[0]), err_write(err_pipe[1]);

  spawn_actions actions;
  posix_spawn_file_actions_adddup2(&actions.a, out_write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions.a, err_write.get(), STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions.a, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> argv{const_cast<char*>(path.c_str())};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, path.c_str(), &actions.a, nullptr, argv.data(), environ);
  if (rc != 0) throw_errno("posix_spawn " + path, rc);
  r.started = true;
  out_write.reset();
  err_write.reset();

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  pollfd fds[2] = {{out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  bool timed_out = false;
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left)) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[k].fd, buf, sizeof buf);
      if (n > 0) {
        (k == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[k].fd = -1;
        --open_fds;
      }
    }
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = timed_out ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (timed_out) r.err += program + " did not finish within " + std::to_string(timeout_ms) + " ms";
  return r;
}

}  // namespace forensic::net::detail
