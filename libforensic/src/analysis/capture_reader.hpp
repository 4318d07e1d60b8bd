#pragma once
// Reading a capture file (pcap or pcapng, through libpcap's pcap_open_offline) into flows and
// DNS records. Packets are decoded by hand from their link type (Ethernet with VLAN tags,
// Linux cooked v1/v2, raw IP, BSD loopback), every length checked against the captured bytes:
// the packets came from a hostile container.
//
// Bytes are what was on the wire: the IP length field, or the frame's original length when that
// field is 0 (IPv4 BIG TCP, segmentation offload) or an IPv6 jumbo option holds it; never less
// than the headers decoded. A packet whose IP header or IPv6 extension chain is truncated or
// bogus stays in a flow of protocol "malformed" between its addresses. Non-first fragments are
// counted in the flow of their first fragment (same addresses, protocol and IP id, in either
// order); those whose first fragment never came form "fragments" flows. VXLAN (UDP 4789) and
// Geneve (UDP 6081) are decapsulated: the inner flows are reported too, with the tunnel on them.
// DNS is decoded from UDP datagrams and from TCP streams (length-prefixed messages, reassembled
// from in-order segments) on any port where it looks like DNS (dns_parse.hpp).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "forensic/analysis/findings.hpp"

namespace forensic::analysis::detail {

struct capture_summary {
  std::vector<flow> flows;  // in order of first packet
  std::vector<dns_record> dns;
  capture_stats stats;  // read is true
  std::vector<std::string> warnings;
};

// Throws errc::pcap when the file cannot be opened as a capture; a read error in the middle
// becomes a warning and what was read so far is kept.
capture_summary read_capture(const std::filesystem::path& path);

}  // namespace forensic::analysis::detail
