#include "support/testbed.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "support/process.hpp"
#include "support/scratch.hpp"

namespace forensic::testing {
namespace {
std::atomic<int> counter{0};
}

testbed::testbed() {
  prefix_ = "irt" + std::to_string(::getpid()) + "x" + std::to_string(counter++);
  label_ = "forensic.test=" + prefix_;
}

testbed::~testbed() {
  // Containers first (they hold endpoints on the networks), then networks.
  auto ids = run({"docker", "ps", "-aq", "--filter", "label=" + label_});
  std::vector<std::string> rm{"docker", "rm", "-f", "-v"};
  std::size_t start = 0;
  const std::string& out = ids.out;
  while (start < out.size()) {
    auto end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    if (end > start) rm.push_back(out.substr(start, end - start));
    start = end + 1;
  }
  if (rm.size() > 4) run(rm);
  for (const auto& n : networks_) run({"docker", "network", "rm", n});
}

std::string testbed::docker(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{"docker"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run(argv);
  if (r.exit_code != 0) {
    std::string line;
    for (const auto& a : argv) line += a + " ";
    throw std::runtime_error(line + "failed: " + r.err);
  }
  return r.out;
}

std::string testbed::network(const std::string& name, const std::vector<std::string>& extra) {
  std::string full = prefix_ + "-" + name;
  std::vector<std::string> args{"network", "create", "--label", label_};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(full);
  docker(args);
  networks_.push_back(full);
  return full;
}

std::string testbed::container(const std::string& name, const std::vector<std::string>& extra,
                               const std::vector<std::string>& cmd) {
  std::string full = prefix_ + "-" + name;
  std::vector<std::string> args{"run", "-d", "--label", label_, "--name", full};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(test_image);
  args.insert(args.end(), cmd.begin(), cmd.end());
  docker(args);
  return full;
}

std::string testbed::inspect(const std::string& object) const {
  return docker({"inspect", object});
}

bool engine_available() {
  return run({"docker", "version", "--format", "{{.Server.Version}}"}).exit_code == 0;
}

std::string state_of(const testbed& bed, const std::string& name) {
  return bed.docker({"inspect", "-f", "{{.State.Running}} {{.State.Paused}}", name});
}

bool can_ping(const testbed& bed, const std::string& from, const std::string& address) {
  const std::string pid = trim(bed.docker({"inspect", "-f", "{{.State.Pid}}", from}));
  auto r = run({"nsenter", "--net=/proc/" + pid + "/ns/net", "busybox", "ping", "-c", "1", "-W",
                "1", address});
  return r.exit_code == 0;
}

std::string address_of(const testbed& bed, const std::string& container) {
  return trim(bed.docker(
      {"inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container}));
}

void wait_for(const std::function<bool()>& ready, const char* what, int seconds) {
  for (int i = 0; i < seconds * 20; ++i) {
    if (ready()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL("timed out waiting for " << what);
}

void wait_for_marker(const testbed& bed, const std::string& name, const std::string& marker,
                     const char* what, int seconds) {
  wait_for(
      [&] {
        return bed.docker({"diff", name}).find(marker) != std::string::npos;
      },
      what, seconds);
}

}  // namespace forensic::testing
