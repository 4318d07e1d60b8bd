#include "support/engine_proxy.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

namespace forensic::testing {
namespace {

using nlohmann::json;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One exchange with the real engine: the request as HTTP/1.0 without keep-alive, so that the
// answer ends when the engine closes and needs no de-chunking. Returns the raw answer.
std::string ask_engine(const std::string& head) {
  std::string request;
  std::istringstream lines(head);
  bool first = true;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (first) {
      const auto at = line.rfind(" HTTP/1.1");
      if (at != std::string::npos) line = line.substr(0, at) + " HTTP/1.0";
      first = false;
    } else if (lower(line).starts_with("connection:")) {
      continue;
    }
    request += line + "\r\n";
  }
  request += "\r\n";
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, "/var/run/docker.sock", sizeof addr.sun_path - 1);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buf[65536];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) {
      answer.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return answer;
}

}  // namespace

// An engine proxy on a unix socket: forwards every request to this host's engine and answers
// with the engine's status, headers and body, except that the State.Pid of every container
// inspect is replaced by `fake_pid`. This is what a remote engine, a proxy or a compromised
// engine looks like from the collector: a plausible pid of some other process on this host.
fake_engine::handler rewriting_pid(int fake_pid) {
  return [fake_pid](const std::string& head, const std::function<void(const std::string&)>& send) {
    const std::string answer = ask_engine(head);
    const auto end = answer.find("\r\n\r\n");
    if (end == std::string::npos) {
      send("");
      return;
    }
    std::string body = answer.substr(end + 4);
    const auto space = head.find(' ');
    const std::string target = head.substr(space + 1, head.find(" HTTP/") - space - 1);
    static const std::regex inspect(R"(^(/v[0-9.]+)?/containers/[^/?]+/json(\?.*)?$)");
    if (std::regex_match(target, inspect) && target.find("/containers/json") == std::string::npos) {
      auto doc = json::parse(body, nullptr, false);
      if (doc.is_object() && doc.contains("State") && doc["State"].is_object()) {
        doc["State"]["Pid"] = fake_pid;
        body = doc.dump();
      }
    }
    std::string out;
    std::istringstream lines(answer.substr(0, end));
    bool first = true;
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (first) {
        out += "HTTP/1.1" + line.substr(line.find(' ')) + "\r\n";
        first = false;
        continue;
      }
      const std::string l = lower(line);
      if (l.starts_with("content-length:") || l.starts_with("transfer-encoding:") ||
          l.starts_with("connection:")) {
        continue;
      }
      out += line + "\r\n";
    }
    const bool head_request = head.starts_with("HEAD ");
    out += "Content-Length: " + std::to_string(head_request ? 0 : body.size()) + "\r\n\r\n";
    if (!head_request) out += body;
    send(out);
  };
}

}  // namespace forensic::testing
