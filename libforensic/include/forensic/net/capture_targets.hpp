#pragma once
// Where to capture, in the responder's words: a container (its host veths), a Docker network
// (its bridge), every Docker bridge, or a named interface. Each result carries a description
// for the pcapng interface block ("host veth of container web (1a2b3c4d5e6f) on network
// backend"), so the file itself says what was watched.
//
// Errors are forensic::error: errc::not_found when the target has nothing to capture on (a
// stopped container, a network without a host bridge, no such interface), the engine's own
// errors (engine_unreachable, not_found, ...) when it had to be asked and could not answer.
// Descriptions are best effort: an engine that fails after the target is found only makes
// them shorter.
#include <string>
#include <string_view>
#include <vector>

#include "forensic/capture/session.hpp"

namespace forensic::engine {
class client;
}

namespace forensic::net {

// The host veth(s) of a running container (host_interfaces_of), one per network it is
// attached to. Throws errc::not_found when it has none (stopped, --network host, none).
std::vector<capture::capture_interface> container_interfaces(engine::client& engine,
                                                             std::string_view container);

// The host bridge of a bridge-driver network (bridge_of_network). errc::not_found when the
// network is unknown, of another driver, or its bridge is not on this host.
capture::capture_interface network_interface(engine::client& engine, std::string_view network);

// docker0 and every br-* / custom-named bridge of the engine's networks. `engine` may be
// null: then the host's docker0 and br-* bridges.
std::vector<capture::capture_interface> all_bridge_interfaces(engine::client* engine);

// A host interface named by the user; checked to exist (errc::not_found), and described
// when it is a Docker bridge or a container's veth (`engine` may be null).
capture::capture_interface named_interface(engine::client* engine, const std::string& name);

// Everything a capture is asked to watch, kept so that it can be looked at again while the
// capture runs (capture_options::follow).
struct capture_targets {
  std::vector<std::string> containers;  // names or ids
  std::vector<std::string> networks;
  std::vector<std::string> interfaces;
  bool all_bridges = false;
};

// Every interface the targets name now, each once (the first description wins): containers,
// networks, bridges, then named interfaces. Throws as the functions above.
std::vector<capture::capture_interface> resolve_targets(engine::client& engine,
                                                        const capture_targets& targets);

// The same for following: a target with nothing to capture on at this moment (a container
// stopped or restarting, a network removed, no bridge yet, an interface gone) contributes
// nothing instead of failing the others. The engine's own failures (unreachable) still throw.
std::vector<capture::capture_interface> targets_now(engine::client& engine,
                                                    const capture_targets& targets);

}  // namespace forensic::net
