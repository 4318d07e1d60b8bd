#pragma once
// IP addresses as responders type them and as the kernel prints them: parsing ("198.51.100.7",
// "2001:db8::7", "[2001:db8::7]", "::ffff:198.51.100.7"), canonical text, and subnet tests.
//
// An IPv4-mapped IPv6 address (what a dual-stack socket in /proc/net/tcp6 shows for an IPv4
// peer) is the same host as its IPv4 form: same_host() says so, and canonical() of the
// mapped form keeps it mapped so that nothing is silently rewritten in evidence.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace forensic::net {

struct ip_address {
  int family = 0;  // AF_INET or AF_INET6; 0 for an empty (invalid) address
  std::array<std::uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4

  bool valid() const noexcept { return family != 0; }
  std::size_t size() const noexcept;  // 4, 16 or 0
  // The IPv4 address a ::ffff:a.b.c.d stands for; *this otherwise.
  ip_address unmapped() const noexcept;
  std::string to_string() const;  // inet_ntop form: "198.51.100.7", "2001:db8::7"
  friend bool operator==(const ip_address&, const ip_address&) = default;
};

// Parses an address; brackets and an IPv6 zone ("fe80::1%eth0") are accepted and dropped.
// Returns nullopt for anything else (a name, a CIDR, garbage).
std::optional<ip_address> parse_ip(std::string_view text) noexcept;

// Text of `text` in inet_ntop form, or `text` unchanged when it is not an address.
std::string canonical(std::string_view text);

// Two addresses name the same host (IPv4-mapped IPv6 compares equal to its IPv4 form).
bool same_host(const ip_address& a, const ip_address& b) noexcept;
bool same_host(std::string_view a, const ip_address& b) noexcept;

// A subnet in CIDR form ("172.18.0.0/16", "fd00:1::/64"); a bare address is a /32 or /128.
struct ip_subnet {
  ip_address network;
  int prefix = 0;
  bool contains(const ip_address& a) const noexcept;
  std::string to_string() const;
};
std::optional<ip_subnet> parse_subnet(std::string_view text) noexcept;

}  // namespace forensic::net
