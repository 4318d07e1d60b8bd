#include "net/socket_census.hpp"

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>

#include "io/c_handles.hpp"
#include "net/netlink.hpp"
#include "proc/proc_files.hpp"

namespace forensic::net::detail {
namespace {

// The value after `field` on the line that starts with `label` ("TCP: inuse 3 orphan 0 tw 1").
std::optional<long> counter(std::string_view text, std::string_view label, std::string_view field) {
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    if (!line.starts_with(label) || line.size() <= label.size() || line[label.size()] != ':') {
      continue;
    }
    line.remove_prefix(label.size() + 1);
    while (!line.empty()) {  // "name value" pairs
      while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      const std::size_t name_end = line.find(' ');
      if (name_end == std::string_view::npos) return std::nullopt;
      const std::string_view name = line.substr(0, name_end);
      line.remove_prefix(name_end + 1);
      long value = 0;
      auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
      if (ec != std::errc() || value < 0) return std::nullopt;
      line.remove_prefix(static_cast<std::size_t>(p - line.data()));
      if (name == field) return value;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

// One sock_diag dump of the TCP listeners of `family` in `nl`'s namespace; -1 on failure.
long count_listeners(mnl_socket* nl, unsigned port_id, unsigned seq, std::uint8_t family) {
  alignas(nlmsghdr) char buf[32768];  // libmnl's MNL_SOCKET_DUMP_SIZE: a dump's largest batch
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = seq;
  auto* req =
      static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
  req->sdiag_family = family;
  req->sdiag_protocol = IPPROTO_TCP;
  req->idiag_states = 1u << TCP_LISTEN;  // only the listening hash is walked
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) return -1;
  long count = 0;
  auto on_message = [](const nlmsghdr*, void* data) {
    ++*static_cast<long*>(data);
    return MNL_CB_OK;
  };
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof buf);
    if (n <= 0) return -1;
    const int rc = mnl_cb_run(buf, static_cast<std::size_t>(n), seq, port_id, on_message, &count);
    if (rc == MNL_CB_STOP) return count;
    if (rc < 0) return -1;
  }
}

}  // namespace

std::optional<socket_census> parse_sockstat(std::string_view v4, std::string_view v6) {
  const auto tcp = counter(v4, "TCP", "inuse");
  const auto tw = counter(v4, "TCP", "tw");
  const auto udp = counter(v4, "UDP", "inuse");
  const auto raw = counter(v4, "RAW", "inuse");
  const auto tcp6 = counter(v6, "TCP6", "inuse");
  const auto udp6 = counter(v6, "UDP6", "inuse");
  const auto raw6 = counter(v6, "RAW6", "inuse");
  if (!tcp || !tw || !udp || !raw || !tcp6 || !udp6 || !raw6) return std::nullopt;
  return socket_census{*tcp + *tcp6, *tw,  *udp + *udp6, *raw + *raw6, *tcp,
                       *tcp6,        *udp, *udp6,        *raw,         *raw6};
}

std::optional<socket_census> read_socket_census(int pid) {
  const std::string base = "/proc/" + std::to_string(pid) + "/net/";
  auto v4 = proc::read_file(base + "sockstat", 4096);
  auto v6 = proc::read_file(base + "sockstat6", 4096);
  // Without IPv6 in the kernel there is no sockstat6: no TCP6/UDP6/RAW6 sockets either.
  if (v4 && !v6) v6 = "TCP6: inuse 0\nUDP6: inuse 0\nRAW6: inuse 0\n";
  if (!v4) return std::nullopt;
  return parse_sockstat(*v4, *v6);
}

std::optional<tcp_history> parse_snmp_tcp(std::string_view snmp) {
  // Two lines start with "Tcp:": the names, then the values in the same order.
  std::string_view names, values;
  while (!snmp.empty()) {
    const std::size_t end = snmp.find('\n');
    const std::string_view line = snmp.substr(0, end);
    snmp.remove_prefix(end == std::string_view::npos ? snmp.size() : end + 1);
    if (!line.starts_with("Tcp:")) continue;
    if (names.empty()) {
      names = line.substr(4);
    } else {
      values = line.substr(4);
      break;
    }
  }
  if (values.empty()) return std::nullopt;
  auto next = [](std::string_view& s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    const std::size_t end = std::min(s.find(' '), s.size());
    const std::string_view word = s.substr(0, end);
    s.remove_prefix(end);
    return word;
  };
  std::optional<long> active, passive, estab;
  for (;;) {
    const std::string_view name = next(names);
    const std::string_view value = next(values);
    if (name.empty() || value.empty()) break;
    long v = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || p != value.data() + value.size()) return std::nullopt;
    if (name == "ActiveOpens") active = v;
    if (name == "PassiveOpens") passive = v;
    if (name == "CurrEstab") estab = v;
  }
  if (!active || !passive || !estab || *active < 0 || *passive < 0 || *estab < 0) {
    return std::nullopt;
  }
  return tcp_history{*active, *passive, *estab};
}

std::optional<tcp_history> read_tcp_history(int pid) {
  const auto text = proc::read_file("/proc/" + std::to_string(pid) + "/net/snmp", 8192);
  if (!text) return std::nullopt;
  return parse_snmp_tcp(*text);
}

std::vector<std::optional<tcp_listeners>> count_tcp_listeners(std::span<const int> netns_fds) {
  std::vector<std::optional<tcp_listeners>> out(netns_fds.size());
  unsigned seq = 1;
  // No errors kept: a namespace not counted is simply read whole.
  in_each_namespace(
      netns_fds,
      [&](std::size_t k) {
        const io::mnl_socket_ptr nl(mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC));
        if (!nl || mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) != 0) return;
        const unsigned port_id = mnl_socket_get_portid(nl.get());
        const long v4 = count_listeners(nl.get(), port_id, seq++, AF_INET);
        const long v6 = v4 < 0 ? -1 : count_listeners(nl.get(), port_id, seq++, AF_INET6);
        if (v4 >= 0 && v6 >= 0) out[k] = tcp_listeners{v4, v6};
      },
      nullptr);
  return out;
}

}  // namespace forensic::net::detail
