#pragma once
// The one parser of IP addresses and subnets, for every module: as responders type them and as
// the kernel prints them ("198.51.100.7", "2001:db8::7", "[2001:db8::7]", "fe80::1%eth0",
// "::ffff:198.51.100.7"), canonical text, and subnet tests. It lives below capture and net
// because both take addresses from the user (a capture peer, a locate target, a quarantine
// allow-list) and must accept exactly the same ones.
//
// An IPv4-mapped IPv6 address (what a dual-stack socket in /proc/net/tcp6 shows for an IPv4
// peer) is the same host as its IPv4 form: same_host() says so, and canonical() of the
// mapped form keeps it mapped so that nothing is silently rewritten in evidence.
//
// Nothing here throws: a text that is not an address is nullopt.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace forensic::io {

struct ip_address {
  int family = 0;                        // AF_INET or AF_INET6; 0 for an empty (invalid) address
  std::array<std::uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4
  // The zone (scope) as typed after '%' ("eth0" of "fe80::1%eth0"), at most IFNAMSIZ - 1
  // characters; empty when none. It says on which link a link-local address is meant;
  // to_string() and same_host() leave it out.
  std::string zone;

  bool valid() const noexcept { return family != 0; }
  std::size_t size() const noexcept;  // 4, 16 or 0
  // The IPv4 address a ::ffff:a.b.c.d stands for; *this otherwise.
  ip_address unmapped() const noexcept;
  std::string to_string() const;  // inet_ntop form, no zone: "198.51.100.7", "2001:db8::7"
  friend bool operator==(const ip_address&, const ip_address&) = default;
};

// Which spellings a parse accepts.
enum class address_syntax {
  // As a responder types it: also "[2001:db8::7]" and a zone ("fe80::1%eth0").
  typed,
  // Exactly the inet_pton forms, what iptables and pcap filters take verbatim.
  literal,
};

// Parses an address. Returns nullopt for anything else (a name, a CIDR, garbage, and with
// `literal` brackets or a zone).
std::optional<ip_address> parse_ip(std::string_view text,
                                   address_syntax syntax = address_syntax::typed) noexcept;

// Text of `text` in inet_ntop form, or `text` unchanged when it is not an address.
std::string canonical(std::string_view text);

// Two addresses name the same host (IPv4-mapped IPv6 compares equal to its IPv4 form; zones
// are not compared).
bool same_host(const ip_address& a, const ip_address& b) noexcept;
bool same_host(std::string_view a, const ip_address& b) noexcept;

// A subnet in CIDR form ("172.18.0.0/16", "fd00:1::/64"); a bare address is a /32 or /128.
struct ip_subnet {
  ip_address network;
  int prefix = 0;
  bool contains(const ip_address& a) const noexcept;
  std::string to_string() const;
};
// nullopt unless the address part parses under `syntax` and the prefix is a plain decimal
// within the family's width.
std::optional<ip_subnet> parse_subnet(std::string_view text,
                                      address_syntax syntax = address_syntax::typed) noexcept;

}  // namespace forensic::io
