#pragma once
// Running commands from tests: the tools under test, and the docker CLI / ip / iptables that
// build a scenario. (Tests may shell out; the library and tools never do.)
#include <chrono>
#include <string>
#include <vector>

namespace forensic::testing {

struct command_result {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

// Runs argv (no shell), capturing stdout and stderr, with an optional stdin text.
command_result run(const std::vector<std::string>& argv, const std::string& input = {});
// Runs through /bin/sh -c, for scenario set-up lines.
command_result sh(const std::string& script);
// Path of a built tool ("ir-ps" -> <build>/tools/ir-ps).
std::string tool(const std::string& name);
// Runs a built tool with arguments.
command_result run_tool(const std::string& name, const std::vector<std::string>& args);

// A process running in the background for the length of a test; killed (SIGTERM, then
// SIGKILL) and reaped by the destructor.
class background_process {
 public:
  explicit background_process(const std::vector<std::string>& argv);
  ~background_process();
  background_process(const background_process&) = delete;
  background_process& operator=(const background_process&) = delete;
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_loopback_port();

}  // namespace forensic::testing
