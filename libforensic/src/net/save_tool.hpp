#pragma once
// The one place the network module runs a program: iptables-save / ip6tables-save, which
// have no library interface for nft-backed rules. posix_spawn, no shell, fixed directories,
// stdout captured, a deadline.
#include <optional>
#include <string>
#include <vector>

namespace forensic::net::detail {

struct spawn_result {
  bool started = false;  // false: the binary was not found in the fixed directories
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Looks for `program` in /usr/sbin, /sbin, /usr/bin, /bin; kills it after `timeout_ms`.
spawn_result run_program(const std::string& program, const std::vector<std::string>& args,
                         int timeout_ms = 15000);

}  // namespace forensic::net::detail
