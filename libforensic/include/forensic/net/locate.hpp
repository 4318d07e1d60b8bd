#pragma once
// "This host talked to ADDR: which container, which process?" answered from what the kernel
// holds right now, without waiting for the next packet:
//   - owner:     a container (or a namespace the engine does not know) has ADDR itself; or
//                ADDR is the host's own (loopback included), shared by every host-network
//                container, each named;
//   - socket:    a live socket in any namespace has ADDR as its remote address, or (ADDR the
//                host's own) a socket of the host's namespace has it as its local address,
//                named by its process (host and in-container pid, comm, cmdline, exe) and the
//                container its cgroup names (a host-network container);
//   - publish:   ADDR is the host's own and a docker-proxy forwards ADDR:PORT to a container;
//   - conntrack: a tracked flow with ADDR with NAT undone both ways: masqueraded out (ADDR the
//                remote, or the host's address it was masqueraded to, by --nat-port), published
//                in (DNAT to a container, or through docker-proxy); identical flows grouped
//                with a count and first/last seen;
//   - packet:    with a capture, packets to or from ADDR seen on the bridges and veths.
// --port and --nat-port narrow every kind but the owner of a container address. Every
// container sharing the holder's network namespace is named with it. When the engine is down,
// containers are known by their cgroup id only and names are reported as unknown.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "forensic/io/address.hpp"
#include "forensic/net/conntrack.hpp"
#include "forensic/net/docker_proxy.hpp"
#include "forensic/net/sockets.hpp"

namespace forensic::engine {
class client;
}

namespace forensic::net {

struct locate_options {
  std::string address;  // IPv4 or IPv6, as typed (a zone, "fe80::1%eth0", is kept)
  // The service port of a connection with ADDR (the IDS's destination port): ADDR's port when
  // something here connected to it; the port ADDR connected to (a published host port, or the
  // container's own) when ADDR connected in.
  std::optional<std::uint16_t> port;
  // The source port the IDS saw on the host's address: conntrack's reply tuple maps it back
  // to the container address and the container's own source port.
  std::optional<std::uint16_t> nat_port;
};

struct named_container {
  std::string id;
  std::string name;  // empty when unknown
};

struct locate_match {
  std::string kind;               // "owner", "socket", "publish", "conntrack", "packet"
  std::string container_id;       // empty when no container is involved (a host process)
  std::string container_name;     // empty when unknown (engine down or record missing)
  std::string network;            // engine network of the container address, when known
  std::string container_address;  // the container's side of the evidence
  std::string namespace_note;     // "host namespace", "namespace of pid 1234 (not a container)"
  // The other containers in the same network namespace (--network container:X, or every
  // host-network container for the host's namespace), proven by their processes' cgroups.
  std::vector<named_container> shares_namespace;
  std::optional<socket_entry> socket;
  std::optional<conntrack_flow> flow;  // kind "conntrack": the first of the group
  // Kind "conntrack": identical flows (same ends and ports but the inside source port) grouped.
  // first/last_seen: the last packet of the oldest and newest flow of the group (RFC 3339),
  // estimated from the time each flow has left before it expires and the kernel's timeout for
  // its protocol and state (seen_from says so; conntrack keeps no start time unless
  // nf_conntrack_timestamp is on).
  std::uint64_t count = 1;
  std::string first_seen, last_seen, seen_from;
  std::optional<docker_proxy> proxy;  // kind "publish", or a flow/socket through docker-proxy
  std::uint64_t packets = 0;          // kind "packet"
  std::string interface;              // kind "packet": where it was seen
  std::string summary;                // one line for humans
};

struct locate_result {
  io::ip_address address;     // with its zone, when one was typed
  bool host_address = false;  // ADDR is the host's own (its namespace's, or loopback)
  std::vector<locate_match> matches;
  bool engine_available = true;
  std::string conntrack_source;  // "netlink", "/proc/net/nf_conntrack", "" when unreadable
  std::vector<std::string> warnings;
  double elapsed_ms = 0;
};

// Throws errc::invalid_argument when `options.address` is not an IP address (one line that
// says so). Engine trouble is a warning, not an error.
locate_result locate(engine::client* engine, const locate_options& options);

// Packets to or from the address (and port), watched for `duration` on every Docker bridge and
// every container veth at once through the capture module (no file written). One match of
// kind "packet" per interface that saw any, naming the container behind a veth.
std::vector<locate_match> capture_address(engine::client* engine, const locate_options& options,
                                          std::chrono::milliseconds duration,
                                          const std::atomic<bool>* stop_flag = nullptr);

// ADDR as typed back: "fe80::1%eth0" keeps its zone.
std::string address_text(const io::ip_address& a);

// {"schema": "forensic.locate/1", ...}: docs/json-net.md.
nlohmann::json to_json(const locate_result& r);
nlohmann::json to_json(const locate_match& m);

}  // namespace forensic::net
