#include "analysis/addresses.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace forensic::analysis::detail {

std::optional<address> parse_address(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  text = text.substr(0, text.find('%'));
  if (text.empty() || text.size() > 45) return std::nullopt;
  std::string s(text);
  address a;
  if (::inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = 4;
    return a;
  }
  if (::inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(a.bytes.data(), mapped, 12) == 0) {
      address v4;
      v4.family = 4;
      std::memcpy(v4.bytes.data(), a.bytes.data() + 12, 4);
      return v4;
    }
    a.family = 6;
    return a;
  }
  return std::nullopt;
}

std::string to_text(const address& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(a.family == 4 ? AF_INET : AF_INET6, a.bytes.data(), buf, sizeof buf);
  return buf;
}

namespace {

bool split_cidr(std::string_view cidr, address& net, int& prefix) {
  auto slash = cidr.find('/');
  if (slash == std::string_view::npos) return false;
  auto a = parse_address(cidr.substr(0, slash));
  if (!a) return false;
  auto p = cidr.substr(slash + 1);
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
  if (ec != std::errc{} || end != p.data() + p.size()) return false;
  if (prefix < 0 || prefix > (a->family == 4 ? 32 : 128)) return false;
  net = *a;
  return true;
}

bool prefix_equal(const address& a, const address& b, int prefix) {
  const int full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(a.bytes.data(), b.bytes.data(), static_cast<std::size_t>(full)) != 0) {
    return false;
  }
  if (rest == 0) return true;
  const std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a.bytes[static_cast<std::size_t>(full)] & mask) ==
         (b.bytes[static_cast<std::size_t>(full)] & mask);
}

}  // namespace

bool is_cidr(std::string_view text) {
  address a;
  int p = 0;
  return split_cidr(text, a, p);
}

bool cidr_contains(std::string_view cidr, const address& a) {
  address net;
  int prefix = 0;
  if (!split_cidr(cidr, net, prefix) || net.family != a.family) return false;
  return prefix_equal(net, a, prefix);
}

bool is_internal(const address& a) {
  static constexpr const char* v4[] = {"10.0.0.0/8",  "172.16.0.0/12",  "192.168.0.0/16",
                                       "127.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10",
                                       "224.0.0.0/4", "0.0.0.0/8",      "255.255.255.255/32"};
  static constexpr const char* v6[] = {"::1/128", "::/128", "fc00::/7", "fe80::/10", "ff00::/8"};
  if (a.family == 4) {
    for (const char* c : v4) {
      if (cidr_contains(c, a)) return true;
    }
    return false;
  }
  for (const char* c : v6) {
    if (cidr_contains(c, a)) return true;
  }
  return false;
}

}  // namespace forensic::analysis::detail
