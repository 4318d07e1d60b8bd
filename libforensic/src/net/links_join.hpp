#pragma once
// Joining a namespace's interfaces to their host-side peers.
#include <future>
#include <string>
#include <unordered_map>
#include <vector>

#include "forensic/net/links.hpp"
#include "net/engine_view.hpp"

namespace forensic::net::detail {

// The host's links by ifindex and the engine's attachments by MAC, built once for all the
// namespaces of a map: looking each peer up by scanning the host's links was a scan of every
// veth per container interface, quadratic in containers.
class join_index {
 public:
  // Both are kept by reference: they must outlive the index.
  join_index(const std::vector<interface_info>& host, const engine_snapshot& snap);

  const interface_info* host_link(int ifindex) const;
  // The last attachment the engine reports with this MAC, or null.
  const engine::network_attachment* attachment_with_mac(const std::string& mac) const;
  const engine_snapshot& snapshot() const { return snap_; }

 private:
  const engine_snapshot& snap_;
  std::unordered_map<int, const interface_info*> by_index_;
  std::unordered_map<std::string, const engine::network_attachment*> by_mac_;
};

// `inside`: the links of one container namespace; `nsid`: the id the host gives that
// namespace (-1 when unassigned). Loopback is left out. The docker network comes from the
// bridge the peer is enslaved to, else from the container's attachment with the same MAC.
std::vector<container_interface> join_namespace(const join_index& host,
                                                const std::vector<interface_info>& inside,
                                                int nsid);
std::vector<container_interface> join_namespace(const std::vector<interface_info>& host,
                                                const std::vector<interface_info>& inside, int nsid,
                                                const engine_snapshot& snap);

// map_links() with the engine snapshot fetched by the caller (possibly still on its way);
// the snapshot is handed back for callers that need more of it (ports, networks).
link_map map_links_with(std::future<engine_snapshot>& pending, engine_snapshot& snap_out);

}  // namespace forensic::net::detail
