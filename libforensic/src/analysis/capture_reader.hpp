#pragma once
// Reading a capture file (pcap or pcapng, through libpcap's pcap_open_offline) into flows and
// DNS records. Packets are decoded by hand from their link type (Ethernet with VLAN tags,
// Linux cooked v1/v2, raw IP, BSD loopback), every length checked against the captured bytes:
// the packets came from a hostile container.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "forensic/analysis/findings.hpp"

namespace forensic::analysis::detail {

struct capture_summary {
  std::vector<flow> flows;  // in order of first packet
  std::vector<dns_record> dns;
  std::uint64_t packets = 0;
  std::uint64_t undecoded = 0;  // not IPv4/IPv6, or too short
  std::vector<std::string> warnings;
};

// Throws errc::pcap when the file cannot be opened as a capture; a read error in the middle
// becomes a warning and what was read so far is kept.
capture_summary read_capture(const std::filesystem::path& path);

}  // namespace forensic::analysis::detail
