#include "forensic/io/address.hpp"

#include <arpa/inet.h>
#include <net/if.h>

#include <charconv>
#include <cstring>

namespace forensic::io {
namespace {

constexpr std::uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

std::size_t ip_address::size() const noexcept {
  return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

ip_address ip_address::unmapped() const noexcept {
  if (family != AF_INET6 || std::memcmp(bytes.data(), mapped_prefix, 12) != 0) return *this;
  ip_address v4;
  v4.family = AF_INET;
  std::memcpy(v4.bytes.data(), bytes.data() + 12, 4);
  return v4;
}

std::string ip_address::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (!valid() || !inet_ntop(family, bytes.data(), text, sizeof text)) return {};
  return text;
}

std::optional<ip_address> parse_ip(std::string_view text, address_syntax syntax) noexcept {
  std::string_view zone;
  if (syntax == address_syntax::typed) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
      text = text.substr(1, text.size() - 2);
    }
    if (auto pct = text.find('%'); pct != std::string_view::npos) {
      zone = text.substr(pct + 1);
      text = text.substr(0, pct);
    }
  }
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, text.data(), text.size());
  ip_address a;
  if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) {
    a.family = AF_INET;
  } else if (inet_pton(AF_INET6, buf, a.bytes.data()) == 1) {
    a.family = AF_INET6;
  } else {
    return std::nullopt;
  }
  // An interface name or a scope number: never longer than IFNAMSIZ - 1, which also keeps the
  // string in its inline buffer, so copying an address never allocates.
  if (zone.size() >= IF_NAMESIZE) return std::nullopt;
  a.zone.assign(zone.data(), zone.size());
  return a;
}

std::string canonical(std::string_view text) {
  auto a = parse_ip(text);
  return a ? a->to_string() : std::string(text);
}

bool same_host(const ip_address& a, const ip_address& b) noexcept {
  const ip_address x = a.unmapped(), y = b.unmapped();
  return a.valid() && x.family == y.family && x.bytes == y.bytes;  // zones aside
}

bool same_host(std::string_view a, const ip_address& b) noexcept {
  auto parsed = parse_ip(a);
  return parsed && same_host(*parsed, b);
}

bool ip_subnet::contains(const ip_address& candidate) const noexcept {
  const ip_address a = network.family == AF_INET ? candidate.unmapped() : candidate;
  if (a.family != network.family) return false;
  int bits = prefix;
  for (std::size_t k = 0; k < a.size() && bits > 0; ++k, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((a.bytes[k] & mask) != (network.bytes[k] & mask)) return false;
  }
  return true;
}

std::string ip_subnet::to_string() const {
  return network.to_string() + "/" + std::to_string(prefix);
}

std::optional<ip_subnet> parse_subnet(std::string_view text, address_syntax syntax) noexcept {
  ip_subnet s;
  const auto slash = text.find('/');
  auto address = parse_ip(text.substr(0, slash), syntax);
  if (!address) return std::nullopt;
  s.network = *address;
  const int max = static_cast<int>(address->size() * 8);
  s.prefix = max;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), s.prefix);
    if (ec != std::errc() || p != digits.data() + digits.size() || s.prefix < 0 || s.prefix > max) {
      return std::nullopt;
    }
  }
  return s;
}

}  // namespace forensic::io
