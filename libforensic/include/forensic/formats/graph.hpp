#pragma once
// The host's network map as a Graphviz graph (`ir-netmap --dot`, docs/formats.md): containers ->
// their interfaces and host veths -> bridges (Docker networks) -> the host's NAT to the outside,
// and published ports from the outside to the container address they reach. Render with
// `dot -Tsvg`.
#include <string>
#include <string_view>

#include "forensic/net/netmap.hpp"

namespace forensic::formats {

// A DOT double-quoted string's content: '"' and '\' escaped, control bytes as \n or dropped, so
// a name cannot end the string or inject attributes.
std::string dot_escape(std::string_view text);

// `digraph netmap { ... }`: one cluster per bridge; an internal network (docker network create
// --internal) has no edge to the NAT node; a container with --network host points to the host
// node directly; a container sharing another's namespace points to that container.
std::string to_dot(const net::network_map& m);

}  // namespace forensic::formats
