#pragma once
// rtnetlink over libmnl: link and address dumps of one namespace, the nsid the host gives
// another namespace, and sockets opened inside other namespaces without entering them for
// longer than a socket() call.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "forensic/net/links.hpp"
#include "io/c_handles.hpp"

namespace forensic::net::detail {

class rtnl_socket {
 public:
  rtnl_socket();  // in the caller's namespace
  explicit rtnl_socket(io::mnl_socket_ptr bound);

  // Every link with its addresses (one RTM_GETLINK and one RTM_GETADDR dump).
  std::vector<interface_info> interfaces();
  // The id this namespace gives the namespace open at `netns_fd` (RTM_GETNSID), -1 when none
  // is assigned.
  int nsid_of(int netns_fd);

 private:
  std::optional<std::vector<interface_info>> try_interfaces();  // nullopt: dump interrupted

  io::mnl_socket_ptr socket_;
  unsigned port_id_ = 0;
  unsigned seq_ = 0;
};

// Runs `inside(k)` on one short-lived thread while that thread is in the namespace netns_fds[k]
// (fds of /proc/<pid>/ns/net), and brings it home before it ends: setns(CLONE_NEWNET) only
// moves the calling thread, so the caller's own threads (and the engine client's) stay in the
// host namespace whatever happens. A namespace that cannot be entered is skipped, with a
// message in `errors` when given.
void in_each_namespace(std::span<const int> netns_fds,
                       const std::function<void(std::size_t)>& inside,
                       std::vector<std::string>* errors);

// Opens one rtnetlink socket inside each namespace (fds of /proc/<pid>/ns/net), from one
// short-lived thread that setns()es in and back: a socket keeps the namespace it was created
// in. A namespace that cannot be entered leaves an empty optional and a message in `errors`.
std::vector<std::unique_ptr<rtnl_socket>> open_in_namespaces(std::span<const int> netns_fds,
                                                             std::vector<std::string>& errors);

std::string format_mac(const unsigned char* bytes, std::size_t length);

}  // namespace forensic::net::detail
