#pragma once
// The analyzer's view of addresses, on top of forensic/io/address.hpp: IPv4-mapped IPv6
// taken as the IPv4 host it stands for, CIDR tests, and which addresses are "internal".
#include <optional>
#include <string_view>

#include "forensic/io/address.hpp"

namespace forensic::analysis::detail {

// An address, unmapped (::ffff:a.b.c.d becomes a.b.c.d) and without its zone; nullopt for
// anything else.
std::optional<io::ip_address> parse_address(std::string_view text);
// "ADDRESS/PREFIX" (a bare address is not a CIDR here).
bool is_cidr(std::string_view text);
bool cidr_contains(std::string_view cidr, const io::ip_address& a);
// Not routable on the internet: RFC 1918, loopback, link-local, CGNAT, ULA, multicast,
// unspecified. Documentation ranges count as external (tests stand in for the internet there).
bool is_internal(const io::ip_address& a);

}  // namespace forensic::analysis::detail
