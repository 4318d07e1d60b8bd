// /proc/net/nf_conntrack text, e.g.
//   ipv4 2 tcp 6 431999 ESTABLISHED src=172.18.0.2 dst=198.51.100.20 sport=40000 dport=443
//   src=198.51.100.20 dst=192.0.2.1 sport=443 dport=40000 [ASSURED] mark=0 zone=0 use=2
// (one line). The first src/dst/sport/dport are the original tuple, the second the reply;
// "packets=" and "bytes=" follow each tuple when accounting is on.
#include <sys/socket.h>

#include <charconv>

#include "forensic/io/address.hpp"
#include "forensic/net/conntrack.hpp"

namespace forensic::net {
namespace {

template <class T>
bool number(std::string_view text, T& out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size();
}

bool parse_line(std::string_view line, conntrack_flow& f) {
  std::vector<std::string_view> tokens;
  for (std::size_t k = 0; k < line.size();) {
    while (k < line.size() && line[k] == ' ') ++k;
    std::size_t end = line.find(' ', k);
    if (end == std::string_view::npos) end = line.size();
    if (end > k) tokens.push_back(line.substr(k, end - k));
    k = end;
  }
  if (tokens.size() < 5) return false;
  if (tokens[0] == "ipv4") {
    f.family = AF_INET;
  } else if (tokens[0] == "ipv6") {
    f.family = AF_INET6;
  } else {
    return false;
  }
  f.protocol = std::string(tokens[2]);
  if (f.protocol == "unknown") f.protocol = std::string(tokens[3]);
  if (!number(tokens[4], f.timeout)) return false;
  int src = 0, dst = 0, sport = 0, dport = 0;
  for (std::size_t k = 5; k < tokens.size(); ++k) {
    const auto t = tokens[k];
    const auto eq = t.find('=');
    if (eq == std::string_view::npos) {
      if (t == "[UNREPLIED]")
        f.unreplied = true;
      else if (t == "[ASSURED]")
        f.assured = true;
      else if (t.front() != '[' && k == 5)
        f.state = std::string(t);
      continue;
    }
    const auto key = t.substr(0, eq);
    const auto value = t.substr(eq + 1);
    std::uint64_t n = 0;
    if (key == "src") {
      (src++ ? f.reply_src : f.src) = io::canonical(value);
    } else if (key == "dst") {
      (dst++ ? f.reply_dst : f.dst) = io::canonical(value);
    } else if (key == "sport" && number(value, n) && n <= 65535) {
      (sport++ ? f.reply_sport : f.sport) = static_cast<std::uint16_t>(n);
    } else if (key == "dport" && number(value, n) && n <= 65535) {
      (dport++ ? f.reply_dport : f.dport) = static_cast<std::uint16_t>(n);
    } else if (key == "packets" && number(value, n)) {
      f.packets += n;
    } else if (key == "bytes" && number(value, n)) {
      f.bytes += n;
    } else if (key == "mark") {
      number(value, f.mark);
    } else if (key == "zone") {
      number(value, f.zone);
    }
  }
  return src == 2 && dst == 2;
}

}  // namespace

std::vector<conntrack_flow> parse_nf_conntrack(std::string_view text,
                                               std::size_t* skipped) noexcept {
  std::vector<conntrack_flow> out;
  std::size_t bad = 0;
  try {
    while (!text.empty()) {
      const auto nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(' ') == std::string_view::npos) continue;
      conntrack_flow f;
      if (parse_line(line, f)) {
        out.push_back(std::move(f));
      } else {
        ++bad;
      }
    }
  } catch (...) {
    ++bad;
  }
  if (skipped) *skipped = bad;
  return out;
}

}  // namespace forensic::net
