#pragma once
// A scenario on the real engine, owned by one test: every network and container it creates
// carries a unique label and name prefix, and the destructor removes them all, even when the
// test failed. Containers run the offline test image built by tests/testbed/setup.sh.
#include <functional>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace forensic::testing {

// The image tests/testbed/setup.sh imports from busybox-static (no registry needed).
inline constexpr const char* test_image = "irtest/busybox:latest";

class testbed {
 public:
  testbed();
  ~testbed();
  testbed(const testbed&) = delete;
  testbed& operator=(const testbed&) = delete;

  // Unique per testbed: "irt<pid>x<n>"; use it to name things.
  const std::string& prefix() const { return prefix_; }
  const std::string& label() const { return label_; }  // "forensic.test=<prefix>"

  // docker network create --label ... [extra] <prefix>-<name>; returns the full network name.
  std::string network(const std::string& name, const std::vector<std::string>& extra = {});
  // docker run -d --label ... --name <prefix>-<name> [extra] IMAGE [cmd...]; returns the
  // container name. Fails the test (throws) when docker run fails.
  std::string container(const std::string& name, const std::vector<std::string>& extra,
                        const std::vector<std::string>& cmd = {"sleep", "3600"});
  // docker inspect of one object, as text.
  std::string inspect(const std::string& object) const;
  // Runs `docker <args>` and throws on failure, returning stdout.
  std::string docker(const std::vector<std::string>& args) const;

 private:
  std::string prefix_;
  std::string label_;
  std::vector<std::string> networks_;
};

// True when an engine answers on the default socket (integration tests need one).
bool engine_available();

// "true false\n": running, not paused (docker inspect's {{.State.Running}} {{.State.Paused}}).
std::string state_of(const testbed& bed, const std::string& name);

// Reachability as seen from inside a container's network namespace, with the host's busybox
// (one ping, one second): no docker exec into the container.
bool can_ping(const testbed& bed, const std::string& from, const std::string& address);

// The container's addresses on its networks, concatenated (one network: its address).
std::string address_of(const testbed& bed, const std::string& container);

// Polls `ready` every 50 ms for up to `seconds`; fails the test when it never holds.
void wait_for(const std::function<bool()>& ready, const char* what, int seconds = 10);

// Waits until `docker diff` of the container lists `marker` (the file its command touches once
// its payload is written).
void wait_for_marker(const testbed& bed, const std::string& name, const std::string& marker,
                     const char* what, int seconds = 10);

}  // namespace forensic::testing
