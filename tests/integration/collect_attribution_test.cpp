// ir-collect refuses to read this host's /proc for a pid the engine cannot be shown to have
// told the truth about: an engine proxy that rewrites State.Pid stands in for a remote, proxied
// or compromised engine.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "support/fake_engine.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/testbed.hpp"

namespace fs = std::filesystem;
using namespace forensic::testing;
using nlohmann::json;

namespace {

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

}  // namespace

TEST_CASE(
    "collect: an engine reporting a pid that is not the container's gets no host-side "
    "artifact" *
    doctest::timeout(180)) {
  REQUIRE(engine_available());
  REQUIRE(::geteuid() == 0);
  testbed bed;
  const std::string net = bed.network("proxied");
  const std::string name =
      bed.container("proxied", {"--network", net},
                    {"sh", "-c", "echo inside > /tmp/marker; touch /tmp/ready; exec sleep 3600"});
  wait_for_marker(bed, name, "/tmp/ready", "the container's marker");
  const std::string id = trim(bed.docker({"inspect", "-f", "{{.Id}}", name}));
  // The test's own pid: a real process of this host, in no container. Read as the container's,
  // its root is this host's / (files/etc/shadow would be the host's shadow) and its processes
  // are this host's.
  fake_engine proxy(rewriting_pid(::getpid()));

  temp_dir out;
  auto r = run_tool(
      "ir-collect",
      {name, "--host", proxy.uri(), "--out", out.path.string(), "--case", "IT-PID", "--artifacts",
       "inspect,processes,files,network,hunt,logs,diff,export", "--capture", "1", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 1);  // an artifact could not be taken
  const auto result = json::parse(r.out);
  const fs::path bundle = result["bundle"].get<std::string>();

  // The proxy was used and did lie.
  const auto inspect = json::parse(slurp(bundle / "engine/container-inspect.json"));
  CHECK(inspect["State"]["Pid"] == ::getpid());
  CHECK(inspect["Id"] == id);

  // Each host-side artifact is refused by name, with the reason, on one line each.
  std::set<std::string> refused;
  for (const auto& n : result["not_collected"]) {
    refused.insert(n["artifact"].get<std::string>());
    const std::string reason = n["reason"];
    CHECK(reason.find("pid " + std::to_string(::getpid())) != std::string::npos);
    CHECK(reason.find("/cgroup on this host names") != std::string::npos);
  }
  CHECK(refused == std::set<std::string>{"capture", "processes", "files", "network", "hunt",
                                         "export", "bodyfile"});
  for (const char* artifact : {"processes", "files", "network", "capture"}) {
    CHECK(r.err.find(std::string("ir-collect: ") + artifact +
                     " not collected: not read from this host: the engine reports pid " +
                     std::to_string(::getpid())) != std::string::npos);
  }
  const auto manifest = json::parse(slurp(bundle / "manifest.json"));
  CHECK(manifest["not_collected"].size() == 7);
  CHECK(manifest["failures"].empty());
  CHECK(slurp(bundle / "custody.jsonl").find("host-side artifacts not collected") !=
        std::string::npos);

  // Nothing of this host was saved as the container's.
  CHECK_FALSE(fs::exists(bundle / "files"));
  CHECK_FALSE(fs::exists(bundle / "processes"));
  CHECK_FALSE(fs::exists(bundle / "network"));
  CHECK_FALSE(fs::exists(bundle / "capture"));
  CHECK_FALSE(fs::exists(bundle / "hunt"));
  CHECK_FALSE(fs::exists(bundle / "filesystem/deep-paths.tar"));
  const std::string host_shadow = slurp("/etc/shadow");
  const std::string root_line = host_shadow.substr(0, host_shadow.find('\n'));
  if (!root_line.empty()) {
    CHECK(run({"grep", "-rqF", root_line, bundle.string()}).exit_code == 1);
  }
  // What the engine itself gives is still taken, through the proxy.
  CHECK(fs::exists(bundle / "filesystem/export.tar"));
  CHECK(fs::exists(bundle / "engine/diff.json"));
  CHECK(run_tool("ir-verify", {bundle.string()}).exit_code == 0);
  CHECK(state_of(bed, name) == "true false\n");
}
