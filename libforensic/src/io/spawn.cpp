#include "io/spawn.hpp"

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

namespace forensic::io {
namespace {

using clock = std::chrono::steady_clock;

struct pipe_pair {
  unique_fd read, write;
};

pipe_pair make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe", errno);
  return {unique_fd(fds[0]), unique_fd(fds[1])};
}

struct file_actions {
  posix_spawn_file_actions_t a;
  file_actions() { posix_spawn_file_actions_init(&a); }
  ~file_actions() { posix_spawn_file_actions_destroy(&a); }
  file_actions(const file_actions&) = delete;
  file_actions& operator=(const file_actions&) = delete;
};

// A child that exits before reading all its stdin would raise SIGPIPE in us: blocked in this
// thread while we write, and one that became pending is swallowed before the mask is restored.
class sigpipe_block {
 public:
  sigpipe_block() {
    sigemptyset(&pipe_set_);
    sigaddset(&pipe_set_, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_set_, &old_set_);
  }
  ~sigpipe_block() {
    timespec zero{};
    while (::sigtimedwait(&pipe_set_, nullptr, &zero) > 0) {
    }
    ::pthread_sigmask(SIG_SETMASK, &old_set_, nullptr);
  }
  sigpipe_block(const sigpipe_block&) = delete;
  sigpipe_block& operator=(const sigpipe_block&) = delete;

 private:
  sigset_t pipe_set_, old_set_;
};

// Feeds stdin and drains stdout/stderr together until both are closed or the deadline passes.
// Returns false at the deadline.
bool pump(unique_fd& in, unique_fd& out, unique_fd& err, const std::string& input,
          clock::time_point deadline, spawn_result& r) {
  std::size_t written = 0;
  char buf[65536];
  while (out || err || in) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    if (left <= 0) return false;
    pollfd fds[3];
    int n = 0;
    if (out) fds[n++] = {out.get(), POLLIN, 0};
    if (err) fds[n++] = {err.get(), POLLIN, 0};
    if (in) fds[n++] = {in.get(), POLLOUT, 0};
    if (::poll(fds, static_cast<nfds_t>(n), static_cast<int>(left)) < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll", errno);
    }
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (in && fds[i].fd == in.get()) {
        const ssize_t w = ::write(in.get(), input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if ((w < 0 && errno != EINTR && errno != EAGAIN) || written == input.size()) in.reset();
        continue;
      }
      unique_fd& fd = (out && fds[i].fd == out.get()) ? out : err;
      const ssize_t got = ::read(fd.get(), buf, sizeof buf);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        fd.reset();
        continue;
      }
      (&fd == &out ? r.out : r.err).append(buf, static_cast<std::size_t>(got));
    }
  }
  return true;
}

int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

spawn_result spawn(const std::vector<std::string>& argv, const spawn_options& options) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
    throw error(errc::invalid_argument, "spawn needs an absolute path");
  }
  const bool feed = !options.input.empty();
  pipe_pair in, out = make_pipe(), err = make_pipe();
  file_actions actions;
  if (feed) {
    in = make_pipe();
    // Our end never blocks: a write larger than the pipe's free space would otherwise wait for
    // the child past the deadline.
    if (::fcntl(in.write.get(), F_SETFL, O_NONBLOCK) != 0) throw_errno("fcntl", errno);
    posix_spawn_file_actions_adddup2(&actions.a, in.read.get(), STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions.a, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions.a, out.write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions.a, err.write.get(), STDERR_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::string path_env = spawn_path, locale_env = spawn_locale;
  char* env[] = {path_env.data(), locale_env.data(), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, args[0], &actions.a, nullptr, args.data(), env);
  in.read.reset();
  out.write.reset();
  err.write.reset();
  if (rc != 0) throw error(errc::io, "cannot run " + argv[0] + ": " + std::strerror(rc));

  spawn_result r;
  r.started = true;
  const auto deadline = clock::now() + options.timeout;
  bool finished = false;
  try {
    const sigpipe_block blocked;
    finished = pump(in.write, out.read, err.read, options.input, deadline, r);
  } catch (...) {
    ::kill(pid, SIGKILL);
    reap(pid);
    throw;
  }
  if (!finished) {
    ::kill(pid, SIGKILL);
    reap(pid);
    r.timed_out = true;
    return r;
  }
  r.exit_code = reap(pid);
  if (r.exit_code < 0) throw_errno("waitpid " + argv[0], errno);
  return r;
}

std::optional<std::string> find_program(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos) return std::nullopt;
  for (const char* dir : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
    std::string path = std::string(dir) + "/" + name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return std::nullopt;
}

spawn_result spawn_named(const std::string& name, const std::vector<std::string>& args,
                         const spawn_options& options) {
  const auto path = find_program(name);
  if (!path) return {};
  std::vector<std::string> argv{*path};
  argv.insert(argv.end(), args.begin(), args.end());
  return spawn(argv, options);
}

}  // namespace forensic::io
