#include "analysis/dns_parse.hpp"

#include <arpa/inet.h>

#include <string>

namespace forensic::analysis::detail {
namespace {

using bytes = std::span<const std::uint8_t>;

std::uint16_t u16(bytes m, std::size_t at) {
  return static_cast<std::uint16_t>((m[at] << 8) | m[at + 1]);
}

// Why a name did not decode; "" when it did.
// Reads a (possibly compressed) name at `pos`; advances `pos` past it in the message. What was
// read before a fault stays in `out`. `printable` is cleared when a label holds a byte outside
// 0x21..0x7e.
std::string read_name(bytes m, std::size_t& pos, std::string& out, bool& printable) {
  std::size_t at = pos;
  bool jumped = false;
  std::size_t wire = 1;  // the terminating zero
  for (;;) {
    if (at >= m.size()) return "name runs past the end of the message";
    const std::uint8_t len = m[at];
    if (len == 0) {
      if (!jumped) pos = at + 1;
      return "";
    }
    if ((len & 0xc0) == 0xc0) {
      if (at + 1 >= m.size()) return "compression pointer cut short";
      const auto target = static_cast<std::size_t>(((len & 0x3f) << 8) | m[at + 1]);
      // Only backwards: a forward pointer is not what compressors write, and a loop needs one.
      if (target >= at) {
        return target == at ? "compression pointer loops" : "compression pointer points forward";
      }
      if (!jumped) pos = at + 2;
      jumped = true;
      at = target;
      continue;
    }
    if ((len & 0xc0) != 0) return "unknown label type";
    if (at + 1 + len > m.size()) return "label runs past the end of the message";
    wire += 1u + len;
    if (wire > 255) return "name longer than 255 octets";
    if (!out.empty()) out += '.';
    for (std::size_t i = 0; i < len; ++i) {
      const std::uint8_t c = m[at + 1 + i];
      if (c < 0x21 || c > 0x7e) printable = false;
      out += static_cast<char>(c);
    }
    at += 1 + len;
    if (!jumped) pos = at;
  }
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
    case 41:
      return "OPT";
    case 65:
      return "HTTPS";
    case 252:
      return "AXFR";
    case 255:
      return "ANY";
  }
  return std::to_string(t);
}

std::string rcode_name(unsigned r) {
  static const char* names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
  return r < 6 ? names[r] : std::to_string(r);
}

// IN, CH, HS, NONE, ANY; mDNS sets the top bit (unicast-response / cache-flush).
bool known_class(std::uint16_t c) {
  c &= 0x7fff;
  return c == 1 || c == 3 || c == 4 || c == 254 || c == 255;
}

// A header that a DNS implementation would write: standard query, notify or update; Z clear;
// exactly one question; section counts a real message could hold.
bool sane_header(bytes m) {
  const std::uint16_t flags = u16(m, 2);
  const unsigned opcode = (flags >> 11) & 0x0f;
  if (opcode != 0 && opcode != 4 && opcode != 5) return false;
  if (flags & 0x0040) return false;  // Z
  if ((flags & 0x0f) > 10) return false;
  if (u16(m, 4) != 1) return false;
  const bool response = (flags & 0x8000) != 0;
  if (!response && opcode == 0 && (u16(m, 6) != 0 || u16(m, 8) != 0 || u16(m, 10) > 2)) {
    return false;
  }
  return u16(m, 6) <= 512 && u16(m, 8) <= 512 && u16(m, 10) <= 512;
}

}  // namespace

bool dns_port(std::uint16_t port) { return port == 53 || port == 5353 || port == 5355; }

bool plausible_dns_over_tcp(bytes start) {
  if (start.size() < 2 + 12) return false;
  const std::size_t len = u16(start, 0);
  return len >= 12 + 5 && sane_header(start.subspan(2, 12));
}

std::optional<dns_record> parse_dns(bytes m, bool on_dns_port) {
  dns_record r;
  auto malformed = [&](std::string why) -> std::optional<dns_record> {
    r.malformed = true;
    r.problem = std::move(why);
    return r;
  };
  if (m.size() < 12) {
    if (!on_dns_port || m.empty()) return std::nullopt;
    return malformed("shorter than a DNS header");
  }
  if (!on_dns_port && !sane_header(m)) return std::nullopt;
  const std::uint16_t flags = u16(m, 2), qd = u16(m, 4), an = u16(m, 6), ns = u16(m, 8),
                      ar = u16(m, 10);
  r.response = (flags & 0x8000) != 0;
  if (r.response) r.rcode = rcode_name(flags & 0x0f);
  std::size_t pos = 12;
  for (unsigned q = 0; q < qd; ++q) {
    std::string name;
    bool printable = true;
    auto why = read_name(m, pos, name, printable);
    if (q == 0) r.name = name;
    if (!why.empty()) return on_dns_port ? malformed("question: " + why) : std::nullopt;
    if (pos + 4 > m.size()) {
      return on_dns_port ? malformed("question cut short") : std::nullopt;
    }
    if (q == 0) {
      r.type = type_name(u16(m, pos));
      if (!on_dns_port && (!printable || name.empty() || !known_class(u16(m, pos + 2)))) {
        return std::nullopt;
      }
    }
    pos += 4;
  }
  // Answer, authority and additional records: all decoded, answers kept from responses.
  const unsigned total = unsigned{an} + ns + ar;
  for (unsigned i = 0; i < total; ++i) {
    std::string owner;
    bool printable = true;
    auto why = read_name(m, pos, owner, printable);
    if (!why.empty()) return malformed("record " + std::to_string(i + 1) + ": " + why);
    if (pos + 10 > m.size()) return malformed("record " + std::to_string(i + 1) + " cut short");
    const std::uint16_t type = u16(m, pos), rdlength = u16(m, pos + 8);
    pos += 10;
    if (pos + rdlength > m.size()) {
      return malformed("record " + std::to_string(i + 1) + " data cut short");
    }
    char buf[INET6_ADDRSTRLEN] = {};
    if (i < an && r.response && r.answers.size() < 64) {
      if (type == 1 && rdlength == 4) {
        ::inet_ntop(AF_INET, m.data() + pos, buf, sizeof buf);
        r.answers.push_back(buf);
      } else if (type == 28 && rdlength == 16) {
        ::inet_ntop(AF_INET6, m.data() + pos, buf, sizeof buf);
        r.answers.push_back(buf);
      } else if (type == 5) {
        std::size_t at = pos;
        std::string target;
        bool ignored = true;
        if (read_name(m.first(pos + rdlength), at, target, ignored).empty()) {
          r.answers.push_back(target);
        }
      }
    }
    pos += rdlength;
  }
  // Bytes after the last record: a message that says it ends earlier than it does.
  if (pos != m.size() && !on_dns_port) return malformed("bytes after the last record");
  return r;
}

}  // namespace forensic::analysis::detail
