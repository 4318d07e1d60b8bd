#include "evidence/attribution.hpp"

#include "forensic/engine/endpoint.hpp"
#include "forensic/net/sockets.hpp"

namespace forensic::evidence::detail {
namespace {

// "" when the pid is proven to be the container's, the reason otherwise.
std::string refusal(collection& c) {
  const auto& where = c.engine.where();
  if (where.kind != engine::endpoint::transport::unix_socket) {
    return "the engine is at " + where.to_string() +
           ", not on this host's unix socket: its pid names a process on its own host, not here";
  }
  const int pid = c.target.pid;
  if (pid <= 0) return {};  // not running: the steps themselves say so
  const auto process = net::describe_process(pid);
  if (process.container_id == c.target.id) return {};
  const std::string pid_text = "pid " + std::to_string(pid);
  if (process.container_id.empty()) {
    return "the engine reports " + pid_text + " for container " + c.target.id.substr(0, 12) +
           ", but /proc/" + std::to_string(pid) + "/cgroup on this host names no container" +
           (process.comm.empty() ? std::string() : " (it is '" + process.comm + "')");
  }
  return "the engine reports " + pid_text + " for container " + c.target.id.substr(0, 12) +
         ", but /proc/" + std::to_string(pid) + "/cgroup on this host names container " +
         process.container_id.substr(0, 12);
}

}  // namespace

bool host_side_allowed(collection& c, const std::string& artifact, const std::string& part) {
  if (!c.host_refusal) {
    c.host_refusal = refusal(c);
    if (c.host_refusal->empty()) {
      if (c.target.pid > 0) {
        c.custody->note("host-side artifacts: pid " + std::to_string(c.target.pid) +
                        " belongs to container " + c.target.id + " (its /proc/" +
                        std::to_string(c.target.pid) + "/cgroup names it)");
      }
    } else {
      c.custody->note("host-side artifacts not collected: " + *c.host_refusal);
    }
  }
  if (c.host_refusal->empty()) return true;
  c.record.not_collected.push_back({artifact, (part.empty() ? std::string() : part + ": ") +
                                                  "not read from this host: " + *c.host_refusal});
  return false;
}

}  // namespace forensic::evidence::detail
