#include "capture/link_watch.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "forensic/error.hpp"

namespace forensic::capture::detail {
namespace {
// Starting a capture on hundreds of interfaces sends one notification each (promiscuous mode
// changes a link's flags): room for thousands, so that none is lost in ordinary use.
constexpr int receive_buffer = 4 << 20;
}  // namespace

link_watch::link_watch() {
  fd_.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE));
  if (!fd_) throw_errno("cannot open an rtnetlink socket", errno);
  // Forcing needs CAP_NET_ADMIN; without it the ordinary limit applies.
  if (::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer, sizeof receive_buffer) !=
      0) {
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  sockaddr_nl where{};
  where.nl_family = AF_NETLINK;
  where.nl_groups = RTMGRP_LINK;
  if (::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&where), sizeof where) != 0) {
    throw_errno("cannot subscribe to link notifications", errno);
  }
}

bool link_watch::read(std::vector<link_event>& out) {
  alignas(nlmsghdr) char buffer[32768];
  bool complete = true;
  for (;;) {
    const ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        complete = false;
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) return complete;
      throw_errno("reading link notifications", errno);
    }
    auto len = static_cast<unsigned>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) continue;
      const auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(h));
      link_event e;
      e.added = h->nlmsg_type == RTM_NEWLINK;
      e.ifindex = ifi->ifi_index;
      auto rta_len = static_cast<int>(IFLA_PAYLOAD(h));
      for (auto* a = IFLA_RTA(ifi); RTA_OK(a, rta_len); a = RTA_NEXT(a, rta_len)) {
        if (a->rta_type == IFLA_IFNAME) {
          const auto* s = static_cast<const char*>(RTA_DATA(a));
          e.name.assign(s, ::strnlen(s, RTA_PAYLOAD(a)));
        }
      }
      out.push_back(std::move(e));
    }
  }
}

}  // namespace forensic::capture::detail
