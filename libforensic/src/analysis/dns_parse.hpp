#pragma once
// A DNS message (the UDP payload) decoded into a dns_record, or nothing when it is malformed.
// Compression pointers are followed with a hop limit; nothing reads past the payload.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "forensic/analysis/findings.hpp"

namespace forensic::analysis::detail {

std::optional<dns_record> parse_dns(std::span<const std::uint8_t> msg);

}  // namespace forensic::analysis::detail
