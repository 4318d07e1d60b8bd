#pragma once
// "This host talked to ADDR: which container, which process?" answered from what the kernel
// holds right now, without waiting for the next packet:
//   - owner:     a container (or a namespace the engine does not know) has ADDR itself;
//   - socket:    a live socket in any namespace has ADDR as its remote (or local) address,
//                named by its process (host and in-container pid, comm, cmdline, exe);
//   - conntrack: a tracked flow between a container address and ADDR, with the NAT'd reply
//                tuple (what an IDS outside the host saw) and UNREPLIED flows;
//   - packet:    with a capture, packets to or from ADDR seen on the bridges and veths.
// When the engine is down, containers are known by their cgroup id only and names are
// reported as unknown.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "forensic/io/address.hpp"
#include "forensic/net/conntrack.hpp"
#include "forensic/net/sockets.hpp"

namespace forensic::engine {
class client;
}

namespace forensic::net {

struct locate_options {
  std::string address;                // IPv4 or IPv6, as typed
  std::optional<std::uint16_t> port;  // remote port of ADDR (the IDS's destination port)
  // The source port the IDS saw on the host's address: conntrack's reply tuple maps it back
  // to the container address and the container's own source port.
  std::optional<std::uint16_t> nat_port;
};

struct locate_match {
  std::string kind;               // "owner", "socket", "conntrack", "packet"
  std::string container_id;       // empty when no container is involved (a host process)
  std::string container_name;     // empty when unknown (engine down or record missing)
  std::string network;            // engine network of the container address, when known
  std::string container_address;  // the container's side of the evidence
  std::string namespace_note;     // "host namespace", "namespace of pid 1234 (not a container)"
  std::optional<socket_entry> socket;
  std::optional<conntrack_flow> flow;
  std::uint64_t packets = 0;  // kind "packet"
  std::string interface;      // kind "packet": where it was seen
  std::string summary;        // one line for humans
};

struct locate_result {
  io::ip_address address;
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

// {"schema": "forensic.locate/1", ...}: docs/json-net.md.
nlohmann::json to_json(const locate_result& r);
nlohmann::json to_json(const locate_match& m);

}  // namespace forensic::net
