#include "support/fake_engine.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace forensic::testing {

fake_engine::fake_engine(handler h) : handler_(std::move(h)) {
  char dir[] = "/tmp/fake-engine-XXXXXX";
  if (!::mkdtemp(dir)) throw std::runtime_error("mkdtemp failed");
  path_ = std::string(dir) + "/docker.sock";
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    throw std::runtime_error("fake engine cannot listen on " + path_);
  }
  thread_ = std::thread([this] { serve(); });
}

fake_engine::~fake_engine() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
  ::unlink(path_.c_str());
  ::rmdir(path_.substr(0, path_.rfind('/')).c_str());
}

std::vector<std::string> fake_engine::requests() const {
  while (lock_.test_and_set()) {
  }
  auto copy = requests_;
  lock_.clear();
  return copy;
}

std::vector<std::string> fake_engine::bodies() const {
  while (lock_.test_and_set()) {
  }
  auto copy = bodies_;
  lock_.clear();
  return copy;
}

namespace {

// The Content-Length a request head announces (0 when none).
std::size_t content_length(const std::string& head) {
  std::string lower;
  for (char c : head) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto at = lower.find("\r\ncontent-length:");
  if (at == std::string::npos) return 0;
  return static_cast<std::size_t>(std::strtoull(head.c_str() + at + 17, nullptr, 10));
}

}  // namespace

void fake_engine::serve() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    connections_.emplace_back([this, fd] { serve_connection(fd); });
  }
  for (auto& t : connections_) t.join();
}

void fake_engine::serve_connection(int fd) {
  {
    // Serve requests on this connection until the peer closes it (keep-alive).
    std::string pending;
    // Appends what the peer sends next; false once it closed, failed or the engine stops.
    const auto read_more = [&] {
      for (;;) {
        char buf[4096];
        pollfd q{fd, POLLIN, 0};
        if (::poll(&q, 1, 200) <= 0) {
          if (stopping_) return false;
          continue;
        }
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) return false;
        pending.append(buf, static_cast<std::size_t>(n));
        return true;
      }
    };
    for (;;) {
      auto end = pending.find("\r\n\r\n");
      while (end == std::string::npos && read_more()) end = pending.find("\r\n\r\n");
      if (end == std::string::npos) break;
      std::string head = pending.substr(0, end);
      pending.erase(0, end + 4);
      // The body is read too, so that it is not taken for the next request on this connection.
      const std::size_t length = content_length(head);
      while (pending.size() < length && read_more()) {
      }
      std::string body = pending.substr(0, std::min(length, pending.size()));
      pending.erase(0, body.size());
      while (lock_.test_and_set()) {
      }
      requests_.push_back(head.substr(0, head.find(" HTTP/")));
      bodies_.push_back(std::move(body));
      lock_.clear();
      bool closed = false;
      handler_(head, [&](const std::string& bytes) {
        if (closed) return;
        if (bytes.empty()) {  // the handler asks to hang up here
          ::shutdown(fd, SHUT_RDWR);
          closed = true;
          return;
        }
        if (::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) < 0) closed = true;
      });
      if (closed) break;
    }
    ::close(fd);
  }
}

std::string http_response(int status, const std::string& body, const std::string& content_type) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

}  // namespace forensic::testing
