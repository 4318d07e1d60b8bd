#include "analysis/dns_parse.hpp"

#include <arpa/inet.h>

#include <string>

namespace forensic::analysis::detail {
namespace {

std::uint16_t u16(std::span<const std::uint8_t> m, std::size_t at) {
  return static_cast<std::uint16_t>((m[at] << 8) | m[at + 1]);
}

// Reads a (possibly compressed) name at `pos`; advances `pos` past it in the message.
bool read_name(std::span<const std::uint8_t> m, std::size_t& pos, std::string& out) {
  std::size_t at = pos;
  bool jumped = false;
  for (int hops = 0; hops < 32; ++hops) {
    if (at >= m.size()) return false;
    const std::uint8_t len = m[at];
    if (len == 0) {
      if (!jumped) pos = at + 1;
      return true;
    }
    if ((len & 0xc0) == 0xc0) {
      if (at + 1 >= m.size()) return false;
      if (!jumped) pos = at + 2;
      jumped = true;
      at = static_cast<std::size_t>(((len & 0x3f) << 8) | m[at + 1]);
      continue;
    }
    if ((len & 0xc0) != 0 || at + 1 + len > m.size() || out.size() + len > 255) return false;
    if (!out.empty()) out += '.';
    out.append(reinterpret_cast<const char*>(m.data() + at + 1), len);
    at += 1 + len;
    if (!jumped) pos = at;
  }
  return false;
}

std::string type_name(std::uint16_t t) {
  switch (t) {
    case 1:
      return "A";
    case 2:
      return "NS";
    case 5:
      return "CNAME";
    case 6:
      return "SOA";
    case 12:
      return "PTR";
    case 15:
      return "MX";
    case 16:
      return "TXT";
    case 28:
      return "AAAA";
    case 33:
      return "SRV";
    case 65:
      return "HTTPS";
    case 255:
      return "ANY";
  }
  return std::to_string(t);
}

std::string rcode_name(unsigned r) {
  static const char* names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
  return r < 6 ? names[r] : std::to_string(r);
}

}  // namespace

std::optional<dns_record> parse_dns(std::span<const std::uint8_t> m) {
  if (m.size() < 12) return std::nullopt;
  const std::uint16_t flags = u16(m, 2), qd = u16(m, 4), an = u16(m, 6);
  if (qd == 0) return std::nullopt;
  dns_record r;
  r.response = (flags & 0x8000) != 0;
  if (r.response) r.rcode = rcode_name(flags & 0x0f);
  std::size_t pos = 12;
  if (!read_name(m, pos, r.name) || pos + 4 > m.size()) return std::nullopt;
  r.type = type_name(u16(m, pos));
  pos += 4;
  for (unsigned q = 1; q < qd; ++q) {  // further questions: skip
    std::string ignored;
    if (!read_name(m, pos, ignored) || pos + 4 > m.size()) return r;
    pos += 4;
  }
  for (unsigned i = 0; r.response && i < an && i < 64; ++i) {
    std::string owner;
    if (!read_name(m, pos, owner) || pos + 10 > m.size()) break;
    const std::uint16_t type = u16(m, pos), rdlength = u16(m, pos + 8);
    pos += 10;
    if (pos + rdlength > m.size()) break;
    char buf[INET6_ADDRSTRLEN] = {};
    if (type == 1 && rdlength == 4) {
      ::inet_ntop(AF_INET, m.data() + pos, buf, sizeof buf);
      r.answers.push_back(buf);
    } else if (type == 28 && rdlength == 16) {
      ::inet_ntop(AF_INET6, m.data() + pos, buf, sizeof buf);
      r.answers.push_back(buf);
    } else if (type == 5) {
      std::size_t at = pos;
      std::string target;
      if (read_name(m, at, target)) r.answers.push_back(target);
    }
    pos += rdlength;
  }
  return r;
}

}  // namespace forensic::analysis::detail
