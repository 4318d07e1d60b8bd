#pragma once
// Joining a namespace's interfaces to their host-side peers.
#include <future>
#include <vector>

#include "forensic/net/links.hpp"
#include "net/engine_view.hpp"

namespace forensic::net::detail {

// `inside`: the links of one container namespace; `nsid`: the id the host gives that
// namespace (-1 when unassigned). Loopback is left out. The docker network comes from the
// bridge the peer is enslaved to, else from the container's attachment with the same MAC.
std::vector<container_interface> join_namespace(const std::vector<interface_info>& host,
                                                const std::vector<interface_info>& inside, int nsid,
                                                const engine_snapshot& snap);

// map_links() with the engine snapshot fetched by the caller (possibly still on its way);
// the snapshot is handed back for callers that need more of it (ports, networks).
link_map map_links_with(std::future<engine_snapshot>& pending, engine_snapshot& snap_out);

}  // namespace forensic::net::detail
