#pragma once
// Which socket tables of a namespace can hold a connection at all, from the kernel's own
// per-namespace counters, so that ir-locate walks only those.
//
// Why: reading /proc/<pid>/net/tcp (or tcp6) makes the kernel walk its global TCP hash, every
// bucket of every namespace (262144 buckets on a 24 GiB host, about a millisecond): two walks
// per container namespace were two thirds of ir-locate's time on 100 containers. Yet most
// container namespaces hold only listening sockets (dockerd puts its embedded DNS listener in
// every one on a user-defined network), and listeners never have a remote address to match.
// /proc/<pid>/net/sockstat{,6} count the namespace's hashed sockets per protocol ("inuse") and
// its TIME_WAIT sockets ("tw"); a sock_diag dump restricted to LISTEN walks only the small
// listening hash. When inuse equals the number of listeners and tw is 0, the TCP tables hold
// nothing but listeners and are not read.
//
// Cheaper still, and true of most container namespaces: the namespace's TCP MIB
// (/proc/<pid>/net/snmp, one for IPv4 and IPv6) counts every connection it ever opened
// (ActiveOpens: a SYN sent; PassiveOpens: a connection accepted) and those established now
// (CurrEstab, which a socket restored in repair mode enters without an open). All three at 0 and
// no TIME_WAIT: the namespace never held a TCP connection, so neither the tables nor its
// listeners are read.
//
// Not seen this way: a half-open connection (SYN_RECV) to such a listener, which the kernel
// does not count as a socket; conntrack, which ir-locate reads as well, has the flow.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace forensic::net::detail {

struct socket_census {
  long tcp = 0;     // TCP + TCP6 "inuse": listening and connected sockets
  long tcp_tw = 0;  // TIME_WAIT (v4 and v6 share the counter)
  long udp = 0;     // UDP + UDP6 "inuse"
  long raw = 0;     // RAW + RAW6 "inuse"
  // Per family (sockstat counts IPv4 sockets, sockstat6 IPv6 ones): the embedded DNS listener
  // dockerd puts in every namespace is one IPv4 UDP socket, so with UDP6 at 0 the udp6 table
  // (one more walk of the global UDP hash per namespace) is not read.
  long tcp4 = 0, tcp6 = 0, udp4 = 0, udp6 = 0, raw4 = 0, raw6 = 0;
};

// Parses /proc/<pid>/net/sockstat and sockstat6. nullopt when a needed line is missing or odd,
// and the caller then reads every table.
std::optional<socket_census> parse_sockstat(std::string_view sockstat, std::string_view sockstat6);

// The census of the namespace of `pid`; nullopt when its files cannot be read or parsed.
std::optional<socket_census> read_socket_census(int pid);

struct tcp_history {
  long active_opens = 0;
  long passive_opens = 0;
  long curr_estab = 0;
  bool idle() const noexcept { return active_opens == 0 && passive_opens == 0 && curr_estab == 0; }
};

// Parses the "Tcp:" header and value lines of /proc/<pid>/net/snmp; nullopt when either is
// missing or a counter it needs is absent or odd.
std::optional<tcp_history> parse_snmp_tcp(std::string_view snmp);

// The TCP history of the namespace of `pid`; nullopt when unreadable.
std::optional<tcp_history> read_tcp_history(int pid);

struct tcp_listeners {
  long v4 = 0, v6 = 0;
};

// TCP listeners (v4 and v6) of each namespace (fds of /proc/<pid>/ns/net), counted by a
// sock_diag dump made from a socket opened inside it. nullopt where that fails.
std::vector<std::optional<tcp_listeners>> count_tcp_listeners(std::span<const int> netns_fds);

}  // namespace forensic::net::detail
