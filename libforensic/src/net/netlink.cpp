#include "net/netlink.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <map>
#include <thread>

#include "forensic/error.hpp"
#include "forensic/io/unique_fd.hpp"

namespace forensic::net::detail {
namespace {

// Large enough for any one dump datagram (the kernel sizes them to the page, up to 32 KiB).
constexpr std::size_t dump_buffer_size = 65536;
constexpr std::size_t request_buffer_size = 512;

[[noreturn]] void throw_netlink(const std::string& what, int err) {
  if (err == EPERM || err == EACCES) {
    throw error(errc::permission_denied, what + ": " + std::strerror(err) + " (run as root)");
  }
  throw error(errc::netlink, what + ": " + std::strerror(err));
}

io::mnl_socket_ptr open_route_socket() {
  io::mnl_socket_ptr s(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC));
  if (!s) throw_netlink("netlink socket", errno);
  if (mnl_socket_bind(s.get(), 0, MNL_SOCKET_AUTOPID) < 0) throw_netlink("netlink bind", errno);
  return s;
}

// Attribute table filler for mnl_attr_parse: keeps the last attribute of each known type.
template <int Max>
int fill_table(const nlattr* attr, void* data) {
  const int type = mnl_attr_get_type(attr);
  if (type >= 0 && type <= Max) static_cast<const nlattr**>(data)[type] = attr;
  return MNL_CB_OK;
}

struct dump_state {
  std::vector<interface_info>* links = nullptr;
  std::map<int, std::vector<interface_address>>* addresses = nullptr;
  int nsid = -1;
  std::exception_ptr failure;  // what a callback threw, rethrown once mnl_cb_run has returned
};

// Runs callback Fn without letting an exception (bad_alloc) cross libmnl's C frames.
template <mnl_cb_t Fn>
int guarded(const nlmsghdr* nlh, void* data) {
  try {
    return Fn(nlh, data);
  } catch (...) {
    static_cast<dump_state*>(data)->failure = std::current_exception();
    return MNL_CB_ERROR;
  }
}

int on_link(const nlmsghdr* nlh, void* data) {
  auto* state = static_cast<dump_state*>(data);
  if (nlh->nlmsg_type != RTM_NEWLINK) return MNL_CB_OK;
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  const nlattr* tb[IFLA_MAX + 1] = {};
  mnl_attr_parse(nlh, sizeof(*ifi), fill_table<IFLA_MAX>, tb);
  interface_info i;
  i.ifindex = ifi->ifi_index;
  i.up = (ifi->ifi_flags & IFF_UP) != 0;
  if (tb[IFLA_IFNAME]) i.name = mnl_attr_get_str(tb[IFLA_IFNAME]);
  if (tb[IFLA_ADDRESS]) {
    i.mac = format_mac(static_cast<const unsigned char*>(mnl_attr_get_payload(tb[IFLA_ADDRESS])),
                       mnl_attr_get_payload_len(tb[IFLA_ADDRESS]));
  }
  if (tb[IFLA_MTU]) i.mtu = static_cast<int>(mnl_attr_get_u32(tb[IFLA_MTU]));
  if (tb[IFLA_LINK]) i.peer_ifindex = static_cast<int>(mnl_attr_get_u32(tb[IFLA_LINK]));
  if (tb[IFLA_LINK_NETNSID]) {
    i.link_netnsid = static_cast<std::int32_t>(mnl_attr_get_u32(tb[IFLA_LINK_NETNSID]));
  }
  if (tb[IFLA_MASTER]) i.master_ifindex = static_cast<int>(mnl_attr_get_u32(tb[IFLA_MASTER]));
  if (tb[IFLA_LINKINFO]) {
    const nlattr* info[IFLA_INFO_MAX + 1] = {};
    mnl_attr_parse_nested(tb[IFLA_LINKINFO], fill_table<IFLA_INFO_MAX>, info);
    if (info[IFLA_INFO_KIND]) i.kind = mnl_attr_get_str(info[IFLA_INFO_KIND]);
  }
  // IFLA_LINK on a non-veth (a physical NIC) points at itself or nothing useful.
  if (i.peer_ifindex == i.ifindex) i.peer_ifindex = 0;
  state->links->push_back(std::move(i));
  return MNL_CB_OK;
}

int on_address(const nlmsghdr* nlh, void* data) {
  auto* state = static_cast<dump_state*>(data);
  if (nlh->nlmsg_type != RTM_NEWADDR) return MNL_CB_OK;
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  const nlattr* tb[IFA_MAX + 1] = {};
  mnl_attr_parse(nlh, sizeof(*ifa), fill_table<IFA_MAX>, tb);
  // For IPv4 IFA_LOCAL is the interface's own address (IFA_ADDRESS is the peer on p2p links).
  const nlattr* a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
  if (!a) return MNL_CB_OK;
  char text[INET6_ADDRSTRLEN] = {};
  const std::size_t need = ifa->ifa_family == AF_INET ? 4 : 16;
  if ((ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) ||
      mnl_attr_get_payload_len(a) < need ||
      !inet_ntop(ifa->ifa_family, mnl_attr_get_payload(a), text, sizeof text)) {
    return MNL_CB_OK;
  }
  (*state->addresses)[static_cast<int>(ifa->ifa_index)].push_back(
      {text, ifa->ifa_prefixlen, ifa->ifa_family});
  return MNL_CB_OK;
}

int on_nsid(const nlmsghdr* nlh, void* data) {
  auto* state = static_cast<dump_state*>(data);
  if (nlh->nlmsg_type != RTM_NEWNSID) return MNL_CB_OK;
  const nlattr* tb[NETNSA_MAX + 1] = {};
  mnl_attr_parse(nlh, sizeof(rtgenmsg), fill_table<NETNSA_MAX>, tb);
  if (tb[NETNSA_NSID]) state->nsid = static_cast<std::int32_t>(mnl_attr_get_u32(tb[NETNSA_NSID]));
  return MNL_CB_OK;
}

// True when the `n` bytes at `data` hold the NLMSG_DONE that ends a dump.
bool holds_done(const char* data, ssize_t n) {
  int left = static_cast<int>(n);
  for (auto* m = reinterpret_cast<const nlmsghdr*>(data); mnl_nlmsg_ok(m, left);
       m = mnl_nlmsg_next(m, &left)) {
    if (m->nlmsg_type == NLMSG_DONE) return true;
  }
  return false;
}

// Sends one request and runs the callback on every answer until the kernel says done. False
// when the kernel flagged the dump NLM_F_DUMP_INTR (the table changed while it was dumped: links
// come and go on a busy host); its rest is read and dropped so that the socket can be reused,
// and the caller dumps again.
bool exchange(mnl_socket* s, unsigned port_id, nlmsghdr* nlh, mnl_cb_t cb, dump_state& state,
              const char* what) {
  if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0) throw_netlink(what, errno);
  // On the stack and left uninitialised: a zero-filled vector cost a 64 KiB memset per
  // exchange, three exchanges per container namespace (15% of ir-netmap's instructions at 300
  // containers); the kernel writes what is read.
  alignas(nlmsghdr) char buffer[dump_buffer_size];
  const unsigned seq = nlh->nlmsg_seq;
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(s, buffer, sizeof buffer);
    if (n < 0) throw_netlink(what, errno);
    const int r = mnl_cb_run(buffer, static_cast<std::size_t>(n), seq, port_id, cb, &state);
    if (state.failure) std::rethrow_exception(state.failure);
    if (r == MNL_CB_STOP) return true;
    if (r < 0 && errno == EINTR && (nlh->nlmsg_flags & NLM_F_DUMP)) {
      while (!holds_done(buffer, n)) {
        n = mnl_socket_recvfrom(s, buffer, sizeof buffer);
        if (n < 0) throw_netlink(what, errno);
      }
      return false;
    }
    if (r < 0) throw_netlink(what, errno);
    // A plain (non-dump) request answers with one message and no NLMSG_DONE.
    if (!(nlh->nlmsg_flags & NLM_F_DUMP)) return true;
  }
}

}  // namespace

std::string format_mac(const unsigned char* bytes, std::size_t length) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t k = 0; k < length; ++k) {
    if (k) out += ':';
    out += digits[bytes[k] >> 4];
    out += digits[bytes[k] & 15];
  }
  return out;
}

rtnl_socket::rtnl_socket() : rtnl_socket(open_route_socket()) {}

rtnl_socket::rtnl_socket(io::mnl_socket_ptr bound) : socket_(std::move(bound)) {
  port_id_ = mnl_socket_get_portid(socket_.get());
}

std::vector<interface_info> rtnl_socket::interfaces() {
  // An interrupted dump is taken again; a host whose links change faster than five dumps is
  // reported as the error it is.
  for (int attempt = 1;; ++attempt) {
    if (auto links = try_interfaces()) return std::move(*links);
    if (attempt == 5) throw_netlink("netlink link dump (the links kept changing)", EINTR);
  }
}

std::optional<std::vector<interface_info>> rtnl_socket::try_interfaces() {
  std::vector<interface_info> links;
  std::map<int, std::vector<interface_address>> addresses;
  dump_state state{&links, &addresses, -1, nullptr};
  char buf[request_buffer_size];

  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_GETLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = ++seq_;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  if (!exchange(socket_.get(), port_id_, nlh, guarded<on_link>, state, "netlink link dump")) {
    return std::nullopt;
  }

  nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_GETADDR;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = ++seq_;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_UNSPEC;
  if (!exchange(socket_.get(), port_id_, nlh, guarded<on_address>, state, "netlink address dump")) {
    return std::nullopt;
  }

  for (auto& l : links) {
    auto it = addresses.find(l.ifindex);
    if (it != addresses.end()) l.addresses = std::move(it->second);
  }
  return links;
}

int rtnl_socket::nsid_of(int netns_fd) {
  dump_state state;
  char buf[request_buffer_size];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_GETNSID;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  nlh->nlmsg_seq = ++seq_;
  auto* g = static_cast<rtgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtgenmsg)));
  g->rtgen_family = AF_UNSPEC;
  mnl_attr_put_u32(nlh, NETNSA_FD, static_cast<std::uint32_t>(netns_fd));
  exchange(socket_.get(), port_id_, nlh, guarded<on_nsid>, state, "netlink RTM_GETNSID");
  return state.nsid;
}

void in_each_namespace(std::span<const int> netns_fds,
                       const std::function<void(std::size_t)>& inside,
                       std::vector<std::string>* errors) {
  std::vector<std::string> thread_errors;
  std::thread worker([&] {
    io::unique_fd home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!home) {
      thread_errors.push_back(std::string("cannot open own network namespace: ") +
                              std::strerror(errno));
      return;
    }
    for (std::size_t k = 0; k < netns_fds.size(); ++k) {
      if (::setns(netns_fds[k], CLONE_NEWNET) != 0) {
        thread_errors.push_back(std::string("setns: ") + std::strerror(errno));
        continue;
      }
      inside(k);
    }
    // Back home before the thread ends (harmless either way, but leaves nothing surprising).
    ::setns(home.get(), CLONE_NEWNET);
  });
  worker.join();
  if (errors) errors->insert(errors->end(), thread_errors.begin(), thread_errors.end());
}

std::vector<std::unique_ptr<rtnl_socket>> open_in_namespaces(std::span<const int> netns_fds,
                                                             std::vector<std::string>& errors) {
  std::vector<std::unique_ptr<rtnl_socket>> out(netns_fds.size());
  std::vector<std::string> socket_errors;
  in_each_namespace(
      netns_fds,
      [&](std::size_t k) {
        io::mnl_socket_ptr s(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC));
        if (s && mnl_socket_bind(s.get(), 0, MNL_SOCKET_AUTOPID) == 0) {
          out[k] = std::make_unique<rtnl_socket>(std::move(s));
        } else {
          socket_errors.push_back(std::string("netlink socket in namespace: ") +
                                  std::strerror(errno));
        }
      },
      &errors);
  errors.insert(errors.end(), socket_errors.begin(), socket_errors.end());
  return out;
}

}  // namespace forensic::net::detail
