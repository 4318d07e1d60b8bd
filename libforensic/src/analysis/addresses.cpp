#include "analysis/addresses.hpp"

namespace forensic::analysis::detail {

std::optional<io::ip_address> parse_address(std::string_view text) {
  auto a = io::parse_ip(text);
  if (!a) return std::nullopt;
  // The analyzer compares hosts (an IOC against what the bundle saw): a zone names the link a
  // link-local address was reached on, not another host.
  auto host = a->unmapped();
  host.zone.clear();
  return host;
}

bool is_cidr(std::string_view text) {
  return text.find('/') != std::string_view::npos && io::parse_subnet(text).has_value();
}

bool cidr_contains(std::string_view cidr, const io::ip_address& a) {
  auto s = io::parse_subnet(cidr);
  return s && s->contains(a);
}

bool is_internal(const io::ip_address& a) {
  static constexpr const char* ranges[] = {"10.0.0.0/8",  "172.16.0.0/12",  "192.168.0.0/16",
                                           "127.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10",
                                           "224.0.0.0/4", "0.0.0.0/8",      "255.255.255.255/32",
                                           "::1/128",     "::/128",         "fc00::/7",
                                           "fe80::/10",   "ff00::/8"};
  for (const char* r : ranges) {
    if (cidr_contains(r, a)) return true;
  }
  return false;
}

}  // namespace forensic::analysis::detail
