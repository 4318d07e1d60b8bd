#include "net/local_addresses.hpp"

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>

#include "forensic/io/address.hpp"
#include "proc/proc_files.hpp"

namespace forensic::net::detail {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

template <class F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    const auto nl = text.find('\n');
    f(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::vector<std::string> parse_fib_trie_locals(std::string_view fib_trie) {
  std::vector<std::string> out;
  std::string leaf;  // the address of the last "|-- A.B.C.D" line
  for_each_line(fib_trie, [&](std::string_view raw) {
    const auto line = trim(raw);
    if (line.starts_with("|-- ")) {
      leaf = std::string(trim(line.substr(4)));
      return;
    }
    // "/32 host LOCAL" under a leaf: that address is the namespace's own. Both tables (Main and
    // Local) list it, hence the duplicate check.
    if (line == "/32 host LOCAL" && !leaf.empty()) {
      const auto a = io::parse_ip(leaf, io::address_syntax::literal);
      if (!a || a->family != AF_INET || a->bytes[0] == 127) return;
      for (const auto& seen : out) {
        if (seen == leaf) return;
      }
      out.push_back(leaf);
    }
  });
  return out;
}

std::vector<std::string> parse_if_inet6(std::string_view if_inet6) {
  std::vector<std::string> out;
  for_each_line(if_inet6, [&](std::string_view raw) {
    const auto line = trim(raw);
    if (line.size() < 32) return;
    io::ip_address a;
    a.family = AF_INET6;
    for (int k = 0; k < 16; ++k) {
      const int hi = hex_digit(line[2 * k]), lo = hex_digit(line[2 * k + 1]);
      if (hi < 0 || lo < 0) return;
      a.bytes[k] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    if (line.size() > 32 && line[32] != ' ') return;
    static constexpr unsigned char loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (std::memcmp(a.bytes.data(), loopback, 16) == 0) return;
    if (a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80) return;  // fe80::/10
    if (auto text = a.to_string(); !text.empty()) out.push_back(std::move(text));
  });
  return out;
}

std::optional<std::vector<std::string>> namespace_addresses(int pid, int family) {
  const std::string base = "/proc/" + std::to_string(pid) + "/net/";
  if (family == AF_INET6) {
    if (auto v6 = proc::read_file(base + "if_inet6", 1u << 20)) return parse_if_inet6(*v6);
    if (errno == ENOENT) return std::vector<std::string>{};
    return std::nullopt;
  }
  auto trie = proc::read_file(base + "fib_trie", 4u << 20);
  if (!trie) return std::nullopt;
  return parse_fib_trie_locals(*trie);
}

}  // namespace forensic::net::detail
