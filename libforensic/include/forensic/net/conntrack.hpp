#pragma once
// The kernel's connection-tracking table: every flow the host forwards or NATs, including the
// ones nobody answered (a beacon to a dead C2 stays UNREPLIED until it times out).
//
// Read through ctnetlink with libnetfilter_conntrack; when that is refused or unavailable the
// text of /proc/net/nf_conntrack is parsed instead (present when the kernel was built with
// NF_CONNTRACK_PROCFS). The reply tuple shows NAT: for a masqueraded container flow the
// original source is the container (172.18.0.2:40000) and the reply goes to the host's address
// and the port the kernel picked (reply_dst 192.0.2.10, reply_dport 40000 or another).
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace forensic::net {

struct conntrack_flow {
  std::string protocol;  // "tcp", "udp", "icmp", "icmpv6", "sctp", or the number
  int family = 0;        // AF_INET or AF_INET6
  std::string state;     // tcp: "ESTABLISHED", "SYN_SENT", ...; empty for other protocols
  std::string src, dst;  // original direction
  std::uint16_t sport = 0, dport = 0;  // icmp: id and type<<8|code are not ports: left 0
  std::string reply_src, reply_dst;
  std::uint16_t reply_sport = 0, reply_dport = 0;
  bool unreplied = false;  // no packet seen in the reply direction
  bool assured = false;
  std::uint64_t packets = 0;  // both directions; 0 when nf_conntrack_acct is off
  std::uint64_t bytes = 0;
  std::uint32_t timeout = 0;  // seconds left
  std::uint32_t mark = 0;
  std::uint16_t zone = 0;

  // Source or destination NAT was applied (the reply does not simply mirror the original).
  bool nat() const noexcept;
};

struct conntrack_table {
  std::vector<conntrack_flow> flows;
  std::string source;  // "netlink" or "/proc/net/nf_conntrack"
  std::vector<std::string> warnings;
};

// Dumps the table (IPv4 and IPv6). Throws errc::permission_denied when neither ctnetlink nor
// the proc file may be read, errc::not_found when conntrack is not loaded at all.
conntrack_table dump_conntrack();

// Parses /proc/net/nf_conntrack text; unknown keys are ignored, malformed lines skipped (and
// counted in `skipped`). Never throws.
std::vector<conntrack_flow> parse_nf_conntrack(std::string_view text,
                                               std::size_t* skipped = nullptr) noexcept;

// Bundle field names (docs/bundle.md): protocol, state, src, dst, sport, dport, reply_src,
// reply_dst, reply_sport, reply_dport, unreplied, packets, bytes; plus family, assured, nat,
// timeout, mark, zone.
nlohmann::json to_json(const conntrack_flow& f);

}  // namespace forensic::net
