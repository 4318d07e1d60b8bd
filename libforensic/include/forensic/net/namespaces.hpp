#pragma once
// The interfaces of network namespaces named by a file: /proc/<pid>/ns/net of a process, or a
// bind mount that holds a namespace with no process in it (`ip netns add` under /run/netns,
// Docker's sandboxes under /var/run/docker/netns). Each is joined to its host side exactly as
// the link map joins a container's (links.hpp): host veth, the bridge it is enslaved to, the
// engine network of that bridge. Nothing is spawned and no process is entered; one short-lived
// thread opens one rtnetlink socket inside each namespace.
#include <cstdint>
#include <string>
#include <vector>

#include "forensic/net/links.hpp"

namespace forensic::engine {
class client;
struct container;
}  // namespace forensic::engine

namespace forensic::net {

struct namespace_interfaces {
  std::string path;         // the file given
  std::uint64_t inode = 0;  // of the namespace (0 when the file could not be opened)
  bool read = false;        // false: `error` says why
  std::string error;
  std::vector<container_interface> interfaces;  // loopback left out
};

// One entry per path, in order. `engine` (may be null or down) names the networks of bridges;
// without it `docker_network` stays empty. `containers`, when the caller has listed them
// already, name the networks of interfaces on no bridge (by MAC) without a second list call.
// Never throws for a namespace that cannot be read.
std::vector<namespace_interfaces> interfaces_of_namespaces(
    const std::vector<std::string>& paths, engine::client* engine,
    const std::vector<engine::container>* containers = nullptr);

// A host bridge Docker made: docker0, br-<id12>, or the bridge of an engine network.
bool is_docker_bridge(const container_interface& i);

}  // namespace forensic::net
