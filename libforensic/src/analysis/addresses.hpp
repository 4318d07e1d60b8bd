#pragma once
// Minimal address handling for the analyzer: parsing (IPv4, IPv6, IPv4-mapped), CIDR tests,
// and which addresses are "internal" (private, loopback, link-local, ULA, multicast).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace forensic::analysis::detail {

struct address {
  int family = 0;  // 4 or 6
  std::array<std::uint8_t, 16> bytes{};
};

// IPv4-mapped IPv6 becomes IPv4; brackets and a zone are dropped.
std::optional<address> parse_address(std::string_view text);
std::string to_text(const address& a);
// "a.b.c.d/n" or "x::/n" containing `a`.
bool cidr_contains(std::string_view cidr, const address& a);
bool is_cidr(std::string_view text);
// Not routable on the internet: RFC 1918, loopback, link-local, CGNAT, ULA, multicast,
// unspecified. Documentation ranges count as external (tests stand in for the internet there).
bool is_internal(const address& a);

}  // namespace forensic::analysis::detail
