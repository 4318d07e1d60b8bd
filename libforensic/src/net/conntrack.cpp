// The connection-tracking table through ctnetlink (libnetfilter_conntrack), with the proc
// file as fallback.
#include "forensic/net/conntrack.hpp"

#include <arpa/inet.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>
#include <nlohmann/json.hpp>

#include "forensic/error.hpp"
#include "io/c_handles.hpp"
#include "proc/proc_files.hpp"

namespace forensic::net {
namespace {

using io::nfct_ptr;

std::string protocol_name(int l4) {
  switch (l4) {
    case IPPROTO_TCP:
      return "tcp";
    case IPPROTO_UDP:
      return "udp";
    case IPPROTO_ICMP:
      return "icmp";
    case IPPROTO_ICMPV6:
      return "icmpv6";
    case IPPROTO_SCTP:
      return "sctp";
    case IPPROTO_UDPLITE:
      return "udplite";
    case IPPROTO_DCCP:
      return "dccp";
    case IPPROTO_GRE:
      return "gre";
    default:
      return std::to_string(l4);
  }
}

std::string tcp_state_name(unsigned s) {
  static const char* names[] = {"NONE",       "SYN_SENT", "SYN_RECV",  "ESTABLISHED", "FIN_WAIT",
                                "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",       "SYN_SENT2"};
  return s < std::size(names) ? names[s] : std::to_string(s);
}

std::string address(const nf_conntrack* ct, int family, nf_conntrack_attr v4,
                    nf_conntrack_attr v6) {
  char text[INET6_ADDRSTRLEN] = {};
  const void* raw = nfct_get_attr(ct, family == AF_INET ? v4 : v6);
  if (!raw || !inet_ntop(family, raw, text, sizeof text)) return {};
  return text;
}

struct dump_state {
  std::vector<conntrack_flow>* flows;
  std::exception_ptr failure;  // what on_flow threw, rethrown once nfct_query has returned
};

void add_flow(const nf_conntrack* ct, std::vector<conntrack_flow>& flows) {
  conntrack_flow f;
  f.family = nfct_get_attr_u8(ct, ATTR_L3PROTO);
  if (f.family != AF_INET && f.family != AF_INET6) return;
  const int l4 = nfct_get_attr_u8(ct, ATTR_L4PROTO);
  f.protocol = protocol_name(l4);
  f.src = address(ct, f.family, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC);
  f.dst = address(ct, f.family, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST);
  f.reply_src = address(ct, f.family, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC);
  f.reply_dst = address(ct, f.family, ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_DST);
  if (l4 == IPPROTO_TCP || l4 == IPPROTO_UDP || l4 == IPPROTO_SCTP || l4 == IPPROTO_UDPLITE ||
      l4 == IPPROTO_DCCP) {
    f.sport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_SRC));
    f.dport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
    f.reply_sport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC));
    f.reply_dport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_DST));
  }
  if (l4 == IPPROTO_TCP && nfct_attr_is_set(ct, ATTR_TCP_STATE) > 0) {
    f.state = tcp_state_name(nfct_get_attr_u8(ct, ATTR_TCP_STATE));
  }
  const std::uint32_t status = nfct_get_attr_u32(ct, ATTR_STATUS);
  f.unreplied = (status & IPS_SEEN_REPLY) == 0;
  f.assured = (status & IPS_ASSURED) != 0;
  f.packets = nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_PACKETS) +
              nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_PACKETS);
  f.bytes = nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_BYTES) +
            nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_BYTES);
  f.timeout = nfct_get_attr_u32(ct, ATTR_TIMEOUT);
  f.mark = nfct_get_attr_u32(ct, ATTR_MARK);
  f.zone = nfct_get_attr_u16(ct, ATTR_ZONE);
  flows.push_back(std::move(f));
}

int on_flow(enum nf_conntrack_msg_type, nf_conntrack* ct, void* data) {
  auto* state = static_cast<dump_state*>(data);
  // No exception (bad_alloc) may cross libnetfilter_conntrack's C frames.
  try {
    add_flow(ct, *state->flows);
    return NFCT_CB_CONTINUE;
  } catch (...) {
    state->failure = std::current_exception();
    return NFCT_CB_FAILURE;
  }
}

// Returns the errno of the failure, 0 on success.
int dump_netlink(std::vector<conntrack_flow>& flows) {
  nfct_ptr h(nfct_open(CONNTRACK, 0));
  if (!h) return errno ? errno : EPROTONOSUPPORT;
  dump_state state{&flows, nullptr};
  nfct_callback_register(h.get(), NFCT_T_ALL, on_flow, &state);
  std::uint32_t family = AF_UNSPEC;  // both IPv4 and IPv6
  const int rc = nfct_query(h.get(), NFCT_Q_DUMP, &family);
  if (state.failure) std::rethrow_exception(state.failure);
  if (rc < 0) return errno ? errno : EIO;
  return 0;
}

}  // namespace

bool conntrack_flow::nat() const noexcept {
  return reply_dst != src || reply_src != dst || reply_dport != sport || reply_sport != dport;
}

conntrack_table dump_conntrack() {
  conntrack_table t;
  const int err = dump_netlink(t.flows);
  if (err == 0) {
    t.source = "netlink";
    return t;
  }
  t.flows.clear();
  const std::string why = std::string("ctnetlink dump failed: ") + std::strerror(err);
  auto text = proc::read_file("/proc/net/nf_conntrack", 256u << 20);
  if (!text) {
    const int proc_err = errno;
    if (err == EPERM || proc_err == EACCES || proc_err == EPERM) {
      throw error(errc::permission_denied,
                  why + "; /proc/net/nf_conntrack: " + std::strerror(proc_err) + " (run as root)");
    }
    throw error(errc::not_found, why + "; /proc/net/nf_conntrack: " + std::strerror(proc_err) +
                                     " (is nf_conntrack loaded?)");
  }
  std::size_t skipped = 0;
  t.flows = parse_nf_conntrack(*text, &skipped);
  t.source = "/proc/net/nf_conntrack";
  t.warnings.push_back(why + "; read /proc/net/nf_conntrack instead");
  if (skipped)
    t.warnings.push_back(std::to_string(skipped) + " unreadable conntrack lines skipped");
  return t;
}

nlohmann::json to_json(const conntrack_flow& f) {
  return {{"protocol", f.protocol},
          {"family", f.family == AF_INET6 ? "ipv6" : "ipv4"},
          {"state", f.state},
          {"src", f.src},
          {"dst", f.dst},
          {"sport", f.sport},
          {"dport", f.dport},
          {"reply_src", f.reply_src},
          {"reply_dst", f.reply_dst},
          {"reply_sport", f.reply_sport},
          {"reply_dport", f.reply_dport},
          {"unreplied", f.unreplied},
          {"assured", f.assured},
          {"nat", f.nat()},
          {"packets", f.packets},
          {"bytes", f.bytes},
          {"timeout", f.timeout},
          {"mark", f.mark},
          {"zone", f.zone}};
}

}  // namespace forensic::net
