// /proc/net socket tables, and their owners through the host's fd tables.
#include "forensic/net/sockets.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "forensic/error.hpp"
#include "proc/proc_files.hpp"

namespace forensic::net {
namespace {

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t k = 0;
  while (k < line.size()) {
    while (k < line.size() && (line[k] == ' ' || line[k] == '\t')) ++k;
    std::size_t end = k;
    while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
    if (end > k) out.push_back(line.substr(k, end - k));
    k = end;
  }
  return out;
}

template <class T>
bool hex_value(std::string_view text, T& out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out, 16);
  return ec == std::errc() && p == text.data() + text.size();
}

// The kernel prints each 32-bit word of the address as the u32 it holds in memory, in hex:
// reading the word back and storing it restores the network-order bytes on any endianness.
bool decode_endpoint(std::string_view text, int family, std::string& address, std::uint16_t& port) {
  const auto colon = text.find(':');
  const std::size_t hex_len = family == AF_INET6 ? 32 : 8;
  if (colon != hex_len || !hex_value(text.substr(colon + 1), port)) return false;
  unsigned char bytes[16] = {};
  for (std::size_t w = 0; w < hex_len / 8; ++w) {
    std::uint32_t word = 0;
    if (!hex_value(text.substr(w * 8, 8), word)) return false;
    std::memcpy(bytes + w * 4, &word, 4);
  }
  char out[INET6_ADDRSTRLEN] = {};
  if (!inet_ntop(family, bytes, out, sizeof out)) return false;
  address = out;
  return true;
}

std::string state_name(std::string_view protocol, unsigned st) {
  if (protocol != "tcp") return st == 1 ? "ESTABLISHED" : "UNCONN";
  static const char* names[] = {
      "UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT",
      "CLOSE",   "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV"};
  return st < std::size(names) ? names[st] : "UNKNOWN(" + std::to_string(st) + ")";
}

bool parse_row(std::string_view line, std::string_view protocol, int family, socket_entry& s) {
  const auto f = fields_of(line);
  if (f.size() < 10 || f[0].empty() || f[0].back() != ':') return false;
  unsigned st = 0;
  if (!decode_endpoint(f[1], family, s.local_address, s.local_port) ||
      !decode_endpoint(f[2], family, s.remote_address, s.remote_port) || !hex_value(f[3], st)) {
    return false;
  }
  const auto colon = f[4].find(':');
  if (colon == std::string_view::npos || !hex_value(f[4].substr(0, colon), s.tx_queue) ||
      !hex_value(f[4].substr(colon + 1), s.rx_queue)) {
    return false;
  }
  auto [p1, e1] = std::from_chars(f[7].data(), f[7].data() + f[7].size(), s.uid);
  auto [p2, e2] = std::from_chars(f[9].data(), f[9].data() + f[9].size(), s.inode);
  if (e1 != std::errc() || e2 != std::errc()) return false;
  s.protocol = std::string(protocol);
  s.family = family;
  s.state = state_name(protocol, st);
  return true;
}

}  // namespace

std::vector<socket_entry> parse_proc_net(std::string_view text, std::string_view protocol,
                                         int family, std::size_t* skipped) noexcept {
  std::vector<socket_entry> out;
  std::size_t bad = 0;
  try {
    bool header = true;
    while (!text.empty()) {
      const auto nl = text.find('\n');
      const std::string_view line = text.substr(0, nl);
      text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
      if (header) {  // "  sl  local_address rem_address ..."
        header = false;
        if (line.find("local_address") != std::string_view::npos) continue;
      }
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      socket_entry s;
      if (parse_row(line, protocol, family, s)) {
        out.push_back(std::move(s));
      } else {
        ++bad;
      }
    }
  } catch (...) {  // allocation failure: return what was read, counted as incomplete
    ++bad;
  }
  if (skipped) *skipped = bad;
  return out;
}

process_ref describe_process(int pid) {
  process_ref p;
  p.pid = pid;
  const std::string base = "/proc/" + std::to_string(pid) + "/";
  if (auto comm = proc::read_file(base + "comm", 4096)) {
    p.comm = *comm;
    while (!p.comm.empty() && p.comm.back() == '\n') p.comm.pop_back();
  }
  if (auto cmdline = proc::read_file(base + "cmdline", 1u << 20)) {
    p.cmdline = proc::split_nul(*cmdline);
  }
  if (auto exe = proc::read_link(base + "exe")) p.exe = std::move(*exe);
  if (auto status = proc::read_file(base + "status", 65536)) {
    // "NSpid:\t4242\t1": the last field is the pid in the innermost namespace.
    const std::string line = proc::status_field(*status, "NSpid");
    const auto last = line.find_last_of(" \t");
    const std::string value = last == std::string::npos ? line : line.substr(last + 1);
    std::from_chars(value.data(), value.data() + value.size(), p.ns_pid);
  }
  if (auto cgroup = proc::read_file(base + "cgroup", 65536)) {
    p.container_id = proc::container_id_from_cgroup(*cgroup);
  }
  return p;
}

void resolve_socket_owners(std::vector<socket_entry>& sockets, std::uint64_t netns_inode) {
  if (sockets.empty()) return;
  std::vector<int> pids;
  for (const auto& p : proc::scan_processes(false)) {
    if (netns_inode == 0 || p.netns == netns_inode) pids.push_back(p.pid);
  }
  const auto owners = proc::socket_inodes(pids);
  std::map<int, process_ref> described;
  for (auto& s : sockets) {
    auto it = owners.find(s.inode);
    if (s.inode == 0 || it == owners.end()) continue;
    auto [d, inserted] = described.try_emplace(it->second);
    if (inserted) d->second = describe_process(it->second);
    s.owner = d->second;
  }
}

std::vector<socket_entry> namespace_sockets(int pid, bool resolve_owners) {
  static const struct {
    const char* file;
    const char* protocol;
    int family;
  } tables[] = {{"tcp", "tcp", AF_INET},   {"tcp6", "tcp", AF_INET6}, {"udp", "udp", AF_INET},
                {"udp6", "udp", AF_INET6}, {"raw", "raw", AF_INET},   {"raw6", "raw", AF_INET6}};
  const std::uint64_t inode = proc::netns_inode(pid);
  if (inode == 0) {
    throw error(errc::not_found, "process " + std::to_string(pid) + " is gone (no /proc/" +
                                     std::to_string(pid) + "/ns/net)");
  }
  std::vector<socket_entry> out;
  for (const auto& t : tables) {
    const std::string path = "/proc/" + std::to_string(pid) + "/net/" + t.file;
    auto text = proc::read_file(path);
    if (!text) {
      if (errno == ENOENT) continue;  // IPv6 disabled: no tcp6/udp6/raw6
      throw_errno("read " + path, errno);
    }
    auto rows = parse_proc_net(*text, t.protocol, t.family);
    out.insert(out.end(), std::make_move_iterator(rows.begin()),
               std::make_move_iterator(rows.end()));
  }
  if (resolve_owners) resolve_socket_owners(out, inode);
  return out;
}

nlohmann::json to_json(const socket_entry& s) {
  return {{"protocol", s.protocol},
          {"family", s.family == AF_INET6 ? "ipv6" : "ipv4"},
          {"local_address", s.local_address},
          {"local_port", s.local_port},
          {"remote_address", s.remote_address},
          {"remote_port", s.remote_port},
          {"state", s.state},
          {"inode", s.inode},
          {"uid", s.uid},
          {"pid", s.owner.pid},
          {"ns_pid", s.owner.ns_pid},
          {"comm", s.owner.comm},
          {"cmdline", s.owner.cmdline},
          {"exe", s.owner.exe},
          {"container_id", s.owner.container_id}};
}

}  // namespace forensic::net
