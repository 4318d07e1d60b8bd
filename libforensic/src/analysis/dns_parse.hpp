#pragma once
// A DNS message (a UDP payload, or one length-prefixed message of a TCP stream) decoded into a
// dns_record. Compression pointers must point strictly backwards (which also rules out loops);
// nothing reads past the message.
//
// On a DNS port (53, and 5353/5355 for mDNS/LLMNR) every message of at least a header is a
// record: when it does not decode, the record is marked malformed with the reason, and holds
// what could be read before the fault. On any other port the payload must look like DNS first
// (one question with a printable name, a known class, a sane header); only then is it a record,
// malformed when its resource records do not decode. Random bytes are never called DNS.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "forensic/analysis/findings.hpp"

namespace forensic::analysis::detail {

// True for the ports DNS is expected on: 53, 5353 (mDNS), 5355 (LLMNR).
bool dns_port(std::uint16_t port);

// Nothing when the payload is not DNS; transport, ports, client, server and time are left for
// the caller.
std::optional<dns_record> parse_dns(std::span<const std::uint8_t> msg, bool on_dns_port);

// The first bytes of a TCP stream on a port that is not a DNS port: a two-byte length and a
// DNS header that `parse_dns` could accept. Decides whether the stream is followed.
bool plausible_dns_over_tcp(std::span<const std::uint8_t> start);

}  // namespace forensic::analysis::detail
