#include "forensic/net/namespaces.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "forensic/engine/networks.hpp"
#include "forensic/error.hpp"
#include "forensic/io/unique_fd.hpp"
#include "net/engine_view.hpp"
#include "net/links_join.hpp"
#include "net/netlink.hpp"

namespace forensic::net {

std::vector<namespace_interfaces> interfaces_of_namespaces(
    const std::vector<std::string>& paths, engine::client* engine,
    const std::vector<engine::container>* containers) {
  std::vector<namespace_interfaces> out(paths.size());
  std::vector<io::unique_fd> fds;
  std::vector<int> raw_fds;
  std::vector<std::size_t> slot;  // raw_fds[k] is out[slot[k]]
  for (std::size_t k = 0; k < paths.size(); ++k) {
    out[k].path = paths[k];
    io::unique_fd fd(::open(paths[k].c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0) {
      out[k].error = "cannot open " + paths[k] + ": " + std::strerror(errno);
      continue;
    }
    out[k].inode = st.st_ino;
    raw_fds.push_back(fd.get());
    fds.push_back(std::move(fd));
    slot.push_back(k);
  }
  detail::engine_snapshot snap;
  if (containers && engine) {
    // Only the networks are missing: one call instead of listing the containers again.
    try {
      snap.networks = detail::parse_docker_networks(engine::list_networks(*engine));
      snap.containers = *containers;
      snap.available = true;
    } catch (const forensic::error& e) {
      snap.failure = e.what();
    }
  } else {
    snap = detail::take_snapshot(engine, false, true);
  }
  detail::rtnl_socket host_socket;
  const auto host = host_socket.interfaces();
  std::vector<std::string> errors;
  auto sockets = detail::open_in_namespaces(raw_fds, errors);
  for (std::size_t k = 0; k < raw_fds.size(); ++k) {
    auto& entry = out[slot[k]];
    if (!sockets[k]) {
      entry.error = "cannot open a netlink socket inside " + entry.path;
      continue;
    }
    try {
      const int nsid = host_socket.nsid_of(raw_fds[k]);
      entry.interfaces = detail::join_namespace(host, sockets[k]->interfaces(), nsid, snap);
      entry.read = true;
    } catch (const forensic::error& e) {
      entry.error = std::string("namespace query failed: ") + e.what();
    }
  }
  return out;
}

bool is_docker_bridge(const container_interface& i) {
  return !i.docker_network.empty() || i.bridge == "docker0" || i.bridge.starts_with("br-");
}

}  // namespace forensic::net
