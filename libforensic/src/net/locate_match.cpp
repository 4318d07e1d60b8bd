#include <fcntl.h>
#include <sys/socket.h>

#include <future>
#include <iterator>
#include <span>

#include "forensic/io/unique_fd.hpp"
#include "net/locate_detail.hpp"
#include "net/socket_census.hpp"
#include "proc/proc_files.hpp"

namespace forensic::net::detail {
namespace {

enum class kind { tcp, udp, raw };
struct table {
  const char* file;
  const char* protocol;
  int family;
  kind of;
};
constexpr table tables[] = {
    {"tcp", "tcp", AF_INET, kind::tcp}, {"tcp6", "tcp", AF_INET6, kind::tcp},
    {"udp", "udp", AF_INET, kind::udp}, {"udp6", "udp", AF_INET6, kind::udp},
    {"raw", "raw", AF_INET, kind::raw}, {"raw6", "raw", AF_INET6, kind::raw}};

// Which tables a namespace needs read (see socket_census.hpp): all of them unless its
// counters prove one empty, or (TCP) made of listeners only; each family on its own.
struct tables_needed {
  bool tcp4 = true, tcp6 = true, udp4 = true, udp6 = true, raw4 = true, raw6 = true;
  bool operator()(kind k, int family) const {
    const bool v4 = family == AF_INET;
    return k == kind::tcp   ? (v4 ? tcp4 : tcp6)
           : k == kind::udp ? (v4 ? udp4 : udp6)
                            : (v4 ? raw4 : raw6);
  }
};

std::string endpoint(const std::string& address, std::uint16_t port) {
  return (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":" +
         std::to_string(port);
}

using namespace_entry = const std::pair<const std::uint64_t, namespace_info>*;

std::vector<tables_needed> plan_tables(std::span<const namespace_entry> all) {
  std::vector<tables_needed> plan(all.size());
  // Namespaces whose TCP may hold a connection: their listeners are counted (one setns and
  // sock_diag dump each); the others never opened one (socket_census.hpp).
  std::vector<std::size_t> busy;
  std::vector<io::unique_fd> fds;
  std::vector<int> raw_fds;
  for (std::size_t k = 0; k < all.size(); ++k) {
    const int pid = all[k]->second.pids.front();
    const auto census = read_socket_census(pid);
    if (!census) continue;
    plan[k].udp4 = census->udp4 > 0;
    plan[k].udp6 = census->udp6 > 0;
    plan[k].raw4 = census->raw4 > 0;
    plan[k].raw6 = census->raw6 > 0;
    // (the TCP history is read only when the census alone does not settle it)
    const auto never_connected = [pid] {
      const auto history = read_tcp_history(pid);
      return history && history->idle();
    };
    if (census->tcp_tw == 0 && (census->tcp == 0 || never_connected())) {
      plan[k].tcp4 = plan[k].tcp6 = false;
      continue;
    }
    busy.push_back(k);
    fds.push_back(proc::open_netns(pid));
    raw_fds.push_back(fds.back().get());  // -1 when gone: setns fails, no count
  }
  // Listeners first, counters after: a connection made in between is in the counters, so the
  // two disagree and the tables are read.
  const auto listeners = count_tcp_listeners(raw_fds);
  for (std::size_t j = 0; j < busy.size(); ++j) {
    const std::size_t k = busy[j];
    const auto again = read_socket_census(all[k]->second.pids.front());
    if (!again || !listeners[j]) continue;
    // TIME_WAIT is counted for both families at once: either may hold it.
    plan[k].tcp4 = again->tcp_tw > 0 || again->tcp4 != listeners[j]->v4;
    plan[k].tcp6 = again->tcp_tw > 0 || again->tcp6 != listeners[j]->v6;
  }
  return plan;
}

}  // namespace

bool socket_matches(const socket_entry& s, const io::ip_address& address,
                    std::optional<std::uint16_t> port) noexcept {
  return io::same_host(s.remote_address, address) &&
         (!port || s.remote_port == *port || s.local_port == *port);
}

std::vector<std::pair<socket_entry, std::uint64_t>> matching_sockets(
    const std::map<std::uint64_t, namespace_info>& spaces, const io::ip_address& address,
    std::optional<std::uint16_t> port, const socket_scope& scope) {
  std::vector<namespace_entry> all;
  for (const auto& entry : spaces) {
    if (!entry.second.pids.empty()) all.push_back(&entry);
  }
  // 0: no; 1: yes; 2: a wildcard listener of the host's, kept when a container's process holds it.
  auto in_scope = [&](const socket_entry& s, std::uint64_t inode) {
    const bool host_ns = inode == scope.host_netns;
    if (io::same_host(s.remote_address, address)) {
      return (!scope.loopback || host_ns) &&
                     (!port || s.remote_port == *port || s.local_port == *port)
                 ? 1
                 : 0;
    }
    if (!host_ns || !scope.host_address) return 0;
    if (io::same_host(s.local_address, address)) {
      return !port || s.local_port == *port || s.remote_port == *port ? 1 : 0;
    }
    const bool wildcard = s.local_address == "0.0.0.0" || s.local_address == "::";
    if (!wildcard || (s.state != "LISTEN" && s.state != "UNCONN") || s.remote_port != 0) return 0;
    if (port) return s.local_port == *port ? 1 : 0;
    return 2;
  };
  // Reading the tables is the kernel walking its socket hash once per table and namespace:
  // two threads halve the wait on a host with many containers.
  auto scan = [&](std::size_t from, std::size_t to) {
    std::vector<std::pair<socket_entry, std::uint64_t>> out;
    auto plan = plan_tables(std::span(all).subspan(from, to - from));
    for (std::size_t k = from; k < to; ++k) {
      const auto& [inode, info] = *all[k];
      // The host's own address: its listeners are wanted too, so every table is read.
      if (scope.host_address && inode == scope.host_netns) plan[k - from] = tables_needed{};
      std::vector<socket_entry> found;
      std::vector<bool> if_container;
      // Any process of the namespace shows its tables; a zombie does not, so try the next.
      for (int pid : info.pids) {
        bool readable = false;
        for (const auto& t : tables) {
          if (!plan[k - from](t.of, t.family)) {
            readable = true;
            continue;
          }
          auto text = proc::read_net_table("/proc/" + std::to_string(pid) + "/net/" + t.file);
          if (!text) continue;
          readable = true;
          for (auto& s : parse_proc_net(*text, t.protocol, t.family)) {
            if (const int want = in_scope(s, inode)) {
              found.push_back(std::move(s));
              if_container.push_back(want == 2);
            }
          }
        }
        if (readable) break;
      }
      if (found.empty()) continue;
      const auto owners = proc::socket_inodes(info.pids);
      for (std::size_t j = 0; j < found.size(); ++j) {
        auto& s = found[j];
        if (auto it = owners.find(s.inode); s.inode && it != owners.end()) {
          s.owner = describe_process(it->second);
        }
        if (if_container[j] && s.owner.container_id.empty()) continue;
        out.emplace_back(std::move(s), inode);
      }
    }
    return out;
  };
  const std::size_t half = all.size() / 2;
  auto first = std::async(std::launch::async, scan, std::size_t{0}, half);
  auto out = scan(half, all.size());
  auto early = first.get();
  out.insert(out.begin(), std::make_move_iterator(early.begin()),
             std::make_move_iterator(early.end()));
  return out;
}

std::vector<flow_match> matching_flows(const std::vector<conntrack_flow>& flows,
                                       const io::ip_address& address, const locate_options& o) {
  std::vector<flow_match> out;
  // The service port: P given, one of `ports` must be it; the NAT'd port likewise.
  const auto keep = [&](std::initializer_list<std::uint16_t> service, std::uint16_t nat) {
    if (o.nat_port && nat != *o.nat_port) return false;
    if (!o.port) return true;
    for (auto p : service) {
      if (p == *o.port) return true;
    }
    return false;
  };
  for (const auto& f : flows) {
    flow_match m;
    m.flow = f;
    // Both texts come from the kernel in inet_ntop form: compared as they are.
    const bool dnat = f.reply_src != f.dst || f.reply_sport != f.dport;
    if (io::same_host(f.dst, address) && !dnat) {  // inside -> ADDR, masqueraded on the way out
      m.outbound = true;
      m.inside_address = f.src;
      m.inside_port = f.sport;
      if (!keep({f.dport}, f.reply_dport)) continue;
    } else if (io::same_host(f.src, address) || io::same_host(f.dst, address)) {
      // ADDR -> a port (published: DNATed inside), or anyone -> ADDR:P published inside.
      m.outbound = false;
      m.inside_address = f.reply_src;
      m.inside_port = f.reply_sport;
      if (!keep({f.dport, f.reply_sport}, f.dport)) continue;
    } else if (io::same_host(f.reply_dst, address)) {  // masqueraded to ADDR, the host's own
      m.outbound = true;
      m.addr_is_nat = true;
      m.inside_address = f.src;
      m.inside_port = f.sport;
      if (!keep({f.reply_dport, f.dport}, f.reply_dport)) continue;
    } else if (io::same_host(f.reply_src, address)) {  // published to ADDR, a container's
      m.outbound = false;
      m.addr_is_nat = true;
      m.inside_address = f.reply_src;
      m.inside_port = f.reply_sport;
      if (!keep({f.dport, f.reply_sport}, f.dport)) continue;
    } else {
      continue;
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::optional<socket_entry> socket_for_flow(
    const std::vector<std::pair<socket_entry, std::uint64_t>>& sockets, const flow_match& f) {
  const std::uint16_t remote_port = f.outbound ? f.flow.dport : f.flow.sport;
  for (const auto& [s, inode] : sockets) {
    if (s.protocol != f.flow.protocol) continue;
    // The inside end's socket, or (ADDR the host's own) the host's socket the flow reached.
    if ((s.local_port == f.inside_port && s.remote_port == remote_port) ||
        (!f.addr_is_nat && s.local_port == f.flow.dport && s.remote_port == f.flow.sport &&
         io::same_host(s.local_address, io::parse_ip(f.flow.dst).value_or(io::ip_address{})))) {
      return s;
    }
  }
  return std::nullopt;
}

std::string describe_flow(const flow_match& m) {
  const auto& f = m.flow;
  std::string line =
      f.protocol + " " + endpoint(f.src, f.sport) + " -> " + endpoint(f.dst, f.dport);
  if (!f.state.empty()) line += " " + f.state;
  if (f.unreplied) line += " UNREPLIED";
  if (m.outbound && (f.reply_dst != f.src || f.reply_dport != f.sport)) {
    line += ", seen outside as " + endpoint(f.reply_dst, f.reply_dport);
  } else if (!m.outbound && (f.reply_src != f.dst || f.reply_sport != f.dport)) {
    line += ", forwarded inside to " + endpoint(f.reply_src, f.reply_sport);
  }
  return line;
}

}  // namespace forensic::net::detail
