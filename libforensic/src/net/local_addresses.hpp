#pragma once
// The addresses a network namespace holds, read from its /proc files rather than by entering
// it: /proc/<pid>/net/fib_trie lists each local IPv4 address as a "/32 host LOCAL" leaf of its
// own routing trie, and /proc/<pid>/net/if_inet6 lists the IPv6 ones. One open and read per
// file, where a netlink dump needs setns, a socket and two requests: on 100 containers this
// halved the time ir-locate spends learning which namespace owns an address.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forensic::net::detail {

// IPv4 addresses (dotted) that are local in this trie, without loopback (every namespace has
// 127.0.0.1, so it names none).
std::vector<std::string> parse_fib_trie_locals(std::string_view fib_trie);

// IPv6 addresses (canonical text) of /proc/net/if_inet6, without loopback and link-local ones.
std::vector<std::string> parse_if_inet6(std::string_view if_inet6);

// The addresses of one family (AF_INET or AF_INET6) of the namespace of `pid`: an IPv4 lookup
// and the flows it matches never need the IPv6 ones, nor the reverse. nullopt when the file
// cannot be read (the caller then asks netlink); a kernel without IPv6 has no if_inet6 and no
// IPv6 address.
std::optional<std::vector<std::string>> namespace_addresses(int pid, int family);

}  // namespace forensic::net::detail
