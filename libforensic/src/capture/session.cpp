#include "forensic/capture/session.hpp"

#include <net/if.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "capture/link_watch.hpp"
#include "capture/live_interface.hpp"
#include "capture/output.hpp"
#include "capture/packet_socket.hpp"
#include "forensic/error.hpp"
#include "forensic/version.hpp"

namespace forensic::capture {
namespace {

using clock = std::chrono::steady_clock;
constexpr auto tick_interval = std::chrono::milliseconds(100);
// The pause between drains while packets flow adapts to the load: it doubles while a drain
// takes less than 1/16 of the kernel buffer and halves when it takes more than 1/4, so the
// buffer never gets near full (10 ms of a 10 Gbit/s stream is 12.5 MB; the default buffer is
// 32 MiB) while a slow stream costs a few wake-ups a second.
constexpr auto min_pause = std::chrono::milliseconds(1);
constexpr auto max_pause = std::chrono::milliseconds(50);
// Below this kernel buffer, no sleeping between drains (see drain_and_adapt()).
constexpr int sleep_min_buffer = 8 << 20;
// Ring space of one packet besides its bytes (tpacket3_hdr, sockaddr_ll, alignment).
constexpr std::uint64_t ring_overhead = 96;

std::chrono::nanoseconds now_since_epoch() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now().time_since_epoch());
}

section_info describe_host(const std::string& comment) {
  section_info s;
  s.comment = comment;
  struct utsname u {};
  if (::uname(&u) == 0) {
    s.hardware = u.machine;
    s.os = std::string(u.sysname) + " " + u.release;
  }
  s.application = std::string("libforensic ") + forensic::version_string;
  return s;
}

constexpr int ethernet_link_type = 1;  // LINKTYPE_ETHERNET (DLT_EN10MB)

int interface_index(const std::string& name) {
  if (name.empty() || name.size() >= IF_NAMESIZE || name.find('/') != std::string::npos) return 0;
  return static_cast<int>(::if_nametoindex(name.c_str()));
}

// One small sysfs file, read whole ("1\n").
std::optional<std::uint64_t> read_sys_number(const std::string& name, const char* leaf) {
  if (interface_index(name) == 0) return std::nullopt;
  std::ifstream in("/sys/class/net/" + name + "/" + leaf);
  std::uint64_t v = 0;
  if (!(in >> v)) return std::nullopt;
  return v;
}

// ARPHRD_ETHER: what the shared socket (a filter compiled for Ethernet) can take. Docker's
// bridges and veths are; "any", loopback and tunnels are not.
bool is_ethernet(const std::string& name) { return read_sys_number(name, "type") == 1u; }

std::optional<std::uint64_t> read_rx_dropped(const std::string& name) {
  return read_sys_number(name, "statistics/rx_dropped");
}

std::unordered_set<int> current_indexes() {
  std::unordered_set<int> out;
  if (auto* list = ::if_nameindex()) {
    for (auto* i = list; i->if_index != 0; ++i) out.insert(static_cast<int>(i->if_index));
    ::if_freenameindex(list);
  }
  return out;
}

}  // namespace

// One captured interface: a libpcap handle of its own, or a member of the shared socket.
struct member {
  std::optional<detail::live_interface> handle;
  int ifindex = 0;     // shared-socket members: the index the kernel filter accepts
  bool active = true;  // false once it went away
  std::optional<std::uint64_t> rx_dropped_at_join;  // shared members: sysfs rx_dropped
  bool open() const { return active && (!handle || handle->open()); }
};

// What the helper thread (link notifications, `follow`) hands the capture thread.
struct follow_queue {
  std::mutex lock;
  std::atomic<bool> pending{false};
  std::vector<int> gone;  // ifindexes deleted
  bool recheck = false;   // notifications were lost: check every member
  std::vector<std::pair<capture_interface, std::chrono::system_clock::time_point>> found;
  std::vector<std::string> warnings;
};

struct capture_session::impl {
  capture_options options;
  detail::live_settings settings;
  std::vector<member> members;  // index = interface id in the files
  std::vector<interface_stats> stats;
  std::vector<detail::live_counters> last_counters;
  std::unique_ptr<detail::packet_socket> shared;
  std::unordered_map<int, std::size_t> by_ifindex;  // active shared members
  std::uint64_t shared_interfaces = 0;
  detail::socket_counters shared_counters;
  std::unique_ptr<detail::link_watch> watch;
  follow_queue queue;
  std::thread follower;
  std::atomic<bool> follower_stop{false};
  io::unique_fd follower_wake;  // an eventfd: the end of the capture does not wait for a poll
  std::unique_ptr<detail::capture_output> output;
  std::thread thread;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> finished{false};
  std::atomic<std::uint64_t> packets{0};
  std::atomic<std::uint64_t> bytes{0};
  std::optional<stop_reason> reason;
  std::string message;
  std::exception_ptr failure;
  capture_result result;
  bool collected = false;
  std::size_t current_interface = 0;
  std::chrono::nanoseconds started_ns{0};
  clock::time_point last_rx_refresh;
  bool opened = false;  // open_all() is done: joins are followed ones

  // The capture thread's clocks and pacing between two drains.
  struct pacing {
    clock::time_point last_tick, last_counters_at, last_drain;
    std::optional<clock::time_point> deadline;
    std::vector<pollfd> fds;
    bool busy = false;  // the last drain found packets: sleep, do not poll
    std::chrono::milliseconds pause{10};
  };

  void open_all();
  std::size_t join(const capture_interface& i, std::chrono::system_clock::time_point at);
  void loop();
  bool stop_due(clock::time_point now, const pacing& p);
  void wait_for_packets(pacing& p, clock::time_point now);
  void drain_and_adapt(pacing& p);
  void periodic_work(pacing& p);
  void finish_pending();
  void drain(bool all);
  void on_packet(const detail::raw_packet& p);
  void halt();
  void interface_failed(std::size_t i);
  void member_left(std::size_t i, std::chrono::system_clock::time_point at);
  void check_all_gone(const std::string& last);
  void apply_follow_queue();
  void follow_loop();
  void stop_follower();
  void refresh_counters();
  void refresh_rx_dropped();
  void conclude();
  std::vector<pollfd> poll_fds() const;
  // The indexes of the active shared members, plus `extra` when not 0.
  std::vector<int> shared_indexes(int extra) const {
    std::vector<int> out;
    out.reserve(by_ifindex.size() + 1);
    for (const auto& [index, id] : by_ifindex) out.push_back(index);
    if (extra > 0) out.push_back(extra);
    return out;
  }
  ~impl() { stop_follower(); }
  void stop_with(stop_reason r, std::string text) {
    if (!reason) {
      reason = r;
      message = std::move(text);
    }
  }
};

// Adds one interface (at start, or found by following): a shared-socket member when it is an
// Ethernet device and the socket is in use, a libpcap handle otherwise; then an interface of
// the files. Throws forensic::error when it cannot be added (nothing is left half added).
std::size_t capture_session::impl::join(const capture_interface& i,
                                        std::chrono::system_clock::time_point at) {
  member m;
  interface_stats st;
  st.name = i.name;
  st.description = i.description;
  st.joined = at;
  const int index = shared ? interface_index(i.name) : 0;
  if (shared && index > 0 && is_ethernet(i.name)) {
    m.ifindex = index;
    m.rx_dropped_at_join = read_rx_dropped(i.name);
    st.link_type = ethernet_link_type;
    st.link_type_name = "EN10MB";
    st.shared_socket = true;
  } else {
    m.handle.emplace(i.name, settings);
    st.link_type = m.handle->link_type();
    st.link_type_name = m.handle->link_type_name();
  }
  // Joining a running capture: the kernel filter takes the new index first (it may refuse:
  // too many interfaces), then the files describe it; at start both are done once for all.
  if (m.ifindex > 0 && opened) shared->set_interfaces(shared_indexes(m.ifindex));
  if (output) {
    interface_description d;
    d.name = i.name;
    d.description = i.description;
    d.filter = options.bpf_filter;
    d.link_type = st.link_type;
    d.snaplen = static_cast<std::uint32_t>(options.snaplen);
    if (std::string refused = output->add_interface(d); !refused.empty()) {
      if (m.ifindex > 0) shared->set_interfaces(shared_indexes(0));
      throw error(errc::invalid_argument, refused);
    }
  }
  const std::size_t id = members.size();
  if (m.ifindex > 0) {
    if (options.promiscuous) {
      if (std::string w = shared->promiscuous(m.ifindex, i.name); !w.empty()) {
        result.warnings.push_back(w);
      }
    }
    by_ifindex[m.ifindex] = id;
    ++shared_interfaces;
  } else if (const auto& w = m.handle->activation_warning(); !w.empty()) {
    result.warnings.push_back(w);
  }
  members.push_back(std::move(m));
  stats.push_back(std::move(st));
  last_counters.emplace_back();
  return id;
}

void capture_session::impl::open_all() {
  if (options.interfaces.empty()) {
    throw error(errc::invalid_argument, "no interface to capture on");
  }
  if (options.snaplen <= 0) throw error(errc::invalid_argument, "snaplen must be positive");
  settings.snaplen = options.snaplen;
  settings.promiscuous = options.promiscuous;
  settings.buffer_bytes = options.buffer_bytes;
  settings.immediate = options.immediate;
  settings.batch_timeout = options.batch_timeout;
  settings.filter = options.bpf_filter;
  result.following = static_cast<bool>(options.follow);
  std::size_t ethernet = 0;
  for (const auto& i : options.interfaces) ethernet += is_ethernet(i.name) ? 1 : 0;
  // One interface alone keeps its own libpcap handle (tcpdump's way, bound to it); several, or
  // a capture that follows new ones, share one socket.
  if (ethernet >= 2 || options.follow) {
    // Subscribed before any interface is opened: a link that appears meanwhile is not missed.
    watch = std::make_unique<detail::link_watch>();
    shared = std::make_unique<detail::packet_socket>(settings);
  }
  std::unordered_set<std::string> seen;
  for (const auto& i : options.interfaces) {
    if (!seen.insert(i.name).second) continue;
    try {
      join(i, result.started);
    } catch (const error& e) {
      if (!options.skip_missing || e.kind() != errc::not_found) throw;
      result.not_added.push_back({i.name, i.description, e.what(), result.started});
    }
  }
  if (members.empty()) {
    throw error(errc::not_found, "every interface to capture on went away before the start");
  }
  if (shared) shared->set_interfaces(shared_indexes(0));
  if (!options.output.empty()) {
    detail::output_settings o;
    o.output = options.output;
    o.format = options.format;
    o.rotate_bytes = options.rotate_bytes;
    o.rotate_seconds = options.rotate_seconds;
    o.max_total_bytes = options.max_total_bytes;
    o.min_free_bytes = options.min_free_bytes;
    o.section = describe_host(options.comment);
    o.on_file = options.on_file;
    std::vector<interface_description> descriptions;
    for (const auto& st : stats) {
      interface_description d;
      d.name = st.name;
      d.description = st.description;
      d.filter = options.bpf_filter;
      d.link_type = st.link_type;
      d.snaplen = static_cast<std::uint32_t>(options.snaplen);
      descriptions.push_back(d);
    }
    output = std::make_unique<detail::capture_output>(o, std::move(descriptions));
  }
  opened = true;
  if (watch) {
    follower_wake.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!follower_wake) throw_errno("cannot create an eventfd", errno);
    follower = std::thread([this] { follow_loop(); });
  }
}

void capture_session::impl::halt() {
  auto& m = members[current_interface];
  if (m.handle) m.handle->break_loop();
}

void capture_session::impl::on_packet(const detail::raw_packet& p) {
  if (reason) {
    halt();
    return;
  }
  if (options.max_packets && packets.load() >= *options.max_packets) {
    stop_with(stop_reason::packet_count,
              "packet count of " + std::to_string(*options.max_packets) + " reached");
    halt();
    return;
  }
  if (options.max_bytes && bytes.load() + p.data.size() > *options.max_bytes) {
    stop_with(stop_reason::byte_count,
              "byte limit of " + std::to_string(*options.max_bytes) + " reached");
    halt();
    return;
  }
  if (output) {
    auto stop = output->write(static_cast<std::uint32_t>(current_interface), p.timestamp, p.data,
                              p.original_length);
    if (stop) {
      stop_with(stop->reason, stop->message);
      halt();
      return;
    }
  }
  ++stats[current_interface].captured;
  // Only this thread writes the counters: plain stores, not locked read-modify-writes.
  packets.store(packets.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  bytes.store(bytes.load(std::memory_order_relaxed) + p.data.size(), std::memory_order_relaxed);
  if (options.on_packet) {
    packet_view v;
    v.interface_index = current_interface;
    v.timestamp = p.timestamp;
    v.original_length = p.original_length;
    v.link_type = stats[current_interface].link_type;
    v.data = p.data;
    options.on_packet(v);
  }
  if (options.max_packets && packets.load() >= *options.max_packets) {
    stop_with(stop_reason::packet_count,
              "packet count of " + std::to_string(*options.max_packets) + " reached");
    halt();
  }
}

void capture_session::impl::member_left(std::size_t i, std::chrono::system_clock::time_point at) {
  auto& m = members[i];
  if (!m.active) return;
  m.active = false;
  stats[i].vanished = true;
  stats[i].left = at;
  if (m.handle) {
    m.handle->close();
  } else {
    by_ifindex.erase(m.ifindex);
  }
}

// Without following, the capture ends when nothing is left to capture on; with it, a
// container restarting gets new veths, so it waits for them.
void capture_session::impl::check_all_gone(const std::string& last) {
  if (options.follow) return;
  for (const auto& m : members) {
    if (m.open()) return;
  }
  stop_with(stop_reason::interfaces_gone, "every interface went away (last: " + last + ")");
}

void capture_session::impl::interface_failed(std::size_t i) {
  // The usual cause: the container stopped and its veth was deleted. The packets read so far
  // stay in the file; the others go on.
  refresh_counters();
  const std::string why = members[i].handle->failure();
  member_left(i, std::chrono::system_clock::now());
  check_all_gone(stats[i].name + ": " + why);
}

void capture_session::impl::refresh_counters() {
  for (std::size_t i = 0; i < members.size(); ++i) {
    detail::live_counters c;
    if (members[i].handle && members[i].handle->counters(c)) last_counters[i] = c;
  }
  if (shared) shared->counters(shared_counters);
}

// The interface's own rx drops since it joined, for shared members (a libpcap handle reads
// the same counter for its own interface).
void capture_session::impl::refresh_rx_dropped() {
  for (std::size_t i = 0; i < members.size(); ++i) {
    auto& m = members[i];
    if (m.handle || !m.active || !m.rx_dropped_at_join) continue;
    if (auto now = read_rx_dropped(stats[i].name)) {
      last_counters[i].dropped_by_interface =
          *now >= *m.rx_dropped_at_join ? *now - *m.rx_dropped_at_join : 0;
    }
  }
}

void capture_session::impl::drain(bool all) {
  auto trampoline = [](void* self, const detail::raw_packet& p) {
    static_cast<impl*>(self)->on_packet(p);
  };
  auto shared_trampoline = [](void* context, int ifindex, const detail::raw_packet& p) {
    auto* self = static_cast<impl*>(context);
    const auto it = self->by_ifindex.find(ifindex);
    if (it == self->by_ifindex.end()) return;  // went away after the kernel took the packet
    ++self->last_counters[it->second].received;
    self->current_interface = it->second;
    self->on_packet(p);
  };
  if (shared) {
    for (int round = 0; round < (all ? 1000 : 1) && !reason; ++round) {
      if (shared->dispatch(shared_trampoline, this) == 0) break;
    }
  }
  for (std::size_t i = 0; i < members.size() && !reason; ++i) {
    if (!members[i].handle || !members[i].open()) continue;
    current_interface = i;
    // One dispatch takes every block the kernel has handed over (TPACKET_V3); calling again
    // would only cost another syscall. When finishing, loop until nothing is left.
    for (int round = 0; round < (all ? 1000 : 1) && !reason; ++round) {
      const int n = members[i].handle->dispatch(-1, trampoline, this);
      if (n < 0) {
        interface_failed(i);
        break;
      }
      if (n == 0) break;
    }
  }
}

std::vector<pollfd> capture_session::impl::poll_fds() const {
  std::vector<pollfd> fds;
  if (shared) fds.push_back({shared->selectable_fd(), POLLIN, 0});
  for (const auto& m : members) {
    if (m.handle && m.open()) fds.push_back({m.handle->selectable_fd(), POLLIN, 0});
  }
  return fds;
}

void capture_session::impl::loop() {
  const auto start = clock::now();
  pacing p;
  p.last_tick = p.last_counters_at = p.last_drain = start;
  last_rx_refresh = start;
  if (options.duration) p.deadline = start + *options.duration;
  while (!reason) {
    const auto now = clock::now();
    if (stop_due(now, p)) break;
    wait_for_packets(p, now);
    drain_and_adapt(p);
    if (queue.pending.load(std::memory_order_acquire)) apply_follow_queue();
    periodic_work(p);
  }
  finish_pending();
  stop_follower();
}

// A stop asked for (request, signal flag) or the duration elapsed: recorded as the reason.
bool capture_session::impl::stop_due(clock::time_point now, const pacing& p) {
  if (stop_requested.load() || (options.stop_flag && options.stop_flag->load())) {
    stop_with(stop_reason::interrupted, "interrupted");
    return true;
  }
  if (p.deadline && now >= *p.deadline) {
    char text[64];
    std::snprintf(text, sizeof text, "duration of %g s elapsed",
                  static_cast<double>(options.duration->count()) / 1000.0);
    stop_with(stop_reason::duration, text);
    return true;
  }
  return false;
}

// Batching: under load the kernel retires ring blocks faster than it is worth waking up
// for, and every wake-up is a context switch (the main cost of a capture here). So while
// packets flow, sleep a few milliseconds between drains (well inside what the kernel
// buffer holds) and skip poll; block in poll only when the last drain found nothing.
// (bench/capture.sh: 0.3-0.7 us of CPU per packet, against 1.4-3.1 us when woken by poll
// for every retired block.)
void capture_session::impl::wait_for_packets(pacing& p, clock::time_point now) {
  auto wait = tick_interval;
  if (p.deadline) {
    wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(
                              *p.deadline - now + std::chrono::milliseconds(1)));
  }
  if (p.busy) {
    std::this_thread::sleep_until(std::min(p.last_drain + p.pause, now + wait));
    return;
  }
  p.fds = poll_fds();
  const int ready = ::poll(p.fds.data(), p.fds.size(), static_cast<int>(wait.count()));
  if (ready < 0 && errno != EINTR) throw_errno("poll on the capture handles", errno);
}

// Dispatch everything after any wake-up: with TPACKET_V3 a retired block may be ready
// without the socket having been reported readable to this poll. Then the next pause: longer
// while a drain takes little of the kernel buffer, shorter when it takes much.
void capture_session::impl::drain_and_adapt(pacing& p) {
  p.last_drain = clock::now();
  const std::uint64_t before = packets.load(), before_bytes = bytes.load();
  drain(false);
  // A small kernel buffer (tcpdump's 2 MiB) cannot ride out a sleep that the scheduler
  // stretches on a loaded host: it is drained on every wake-up from poll, as tcpdump does.
  // (bench/capture.sh: sleeping between drains of a 2 MiB buffer dropped 3-13% of a
  // saturated stream that tcpdump took whole.)
  p.busy =
      !options.immediate && options.buffer_bytes >= sleep_min_buffer && packets.load() != before;
  if (!p.busy) return;
  const std::uint64_t used =
      bytes.load() - before_bytes + (packets.load() - before) * ring_overhead;
  const auto buffer = static_cast<std::uint64_t>(options.buffer_bytes);  // >= 8 MiB here
  if (used < buffer / 16) p.pause = std::min(p.pause * 2, max_pause);
  if (used > buffer / 4) p.pause = std::max(p.pause / 2, min_pause);
}

// Rotation and caps every tick; the kernel's drop counters every second; the shared
// members' own rx drops (one sysfs read each) every 5 s.
void capture_session::impl::periodic_work(pacing& p) {
  const auto now = clock::now();
  if (now - p.last_tick >= tick_interval) {
    p.last_tick = now;
    if (output && !reason) {
      if (auto stop = output->tick()) stop_with(stop->reason, stop->message);
    }
  }
  if (now - p.last_counters_at >= std::chrono::seconds(1)) {
    p.last_counters_at = now;
    refresh_counters();
  }
  if (now - last_rx_refresh >= std::chrono::seconds(5)) {
    last_rx_refresh = now;
    refresh_rx_dropped();
  }
}

// Stopped by time or by request: the kernel may still hold a partly filled block that it
// hands over only when its timeout retires it; wait that long so that every packet counted
// by the kernel is in the file.
void capture_session::impl::finish_pending() {
  if (*reason != stop_reason::interrupted && *reason != stop_reason::duration &&
      *reason != stop_reason::interfaces_gone) {
    return;
  }
  const auto until = clock::now() + options.batch_timeout + std::chrono::milliseconds(50);
  const auto saved = reason;
  reason.reset();
  while (clock::now() < until && !reason) {
    auto fds = poll_fds();
    if (fds.empty()) break;
    ::poll(fds.data(), fds.size(), 20);
    drain(true);
  }
  if (!reason)
    reason = saved;
  else
    message += " (while finishing after: " + std::string(stop_reason_name(*saved)) + ")";
}

// On the capture thread: what the follower found since last time.
void capture_session::impl::apply_follow_queue() {
  std::vector<int> gone;
  bool recheck = false;
  std::vector<std::pair<capture_interface, std::chrono::system_clock::time_point>> found;
  {
    std::lock_guard<std::mutex> hold(queue.lock);
    gone.swap(queue.gone);
    found.swap(queue.found);
    std::swap(recheck, queue.recheck);
    for (auto& w : queue.warnings) {
      if (std::find(result.warnings.begin(), result.warnings.end(), w) == result.warnings.end()) {
        result.warnings.push_back(std::move(w));
      }
    }
    queue.warnings.clear();
    queue.pending.store(false, std::memory_order_release);
  }
  const auto now = std::chrono::system_clock::now();
  bool changed = false;
  std::string last;
  for (int index : gone) {
    if (auto it = by_ifindex.find(index); it != by_ifindex.end()) {
      last = stats[it->second].name + ": deleted";
      member_left(it->second, now);
      changed = true;
    }
  }
  if (recheck) {
    // Notifications were lost: a member whose index no longer names it has gone.
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (members[i].handle || !members[i].active) continue;
      if (interface_index(stats[i].name) != members[i].ifindex) {
        last = stats[i].name + ": deleted";
        member_left(i, now);
        changed = true;
      }
    }
  }
  if (changed) shared->set_interfaces(shared_indexes(0));
  for (const auto& entry : found) {
    // Named, not a structured binding: the lambda below captures them.
    const auto& candidate = entry.first;
    const auto at = entry.second;
    // Already captured: the same name on an open handle, or the same index in the socket.
    const int index = interface_index(candidate.name);
    bool have = false;
    for (std::size_t i = 0; i < members.size() && !have; ++i) {
      have = members[i].open() && stats[i].name == candidate.name &&
             (members[i].handle || members[i].ifindex == index);
    }
    if (have) continue;
    // Each refusal once: the follower asks again several times after each new link.
    auto note = [&](const std::string& why) {
      for (const auto& n : result.not_added) {
        if (n.name == candidate.name && n.reason == why) return;
      }
      result.not_added.push_back({candidate.name, candidate.description, why, at});
    };
    if (index == 0) {
      note("it went away before it could be added");
      continue;
    }
    try {
      // Joined when its packets start to be taken, not when the follower found it.
      join(candidate, std::chrono::system_clock::now());
    } catch (const std::exception& e) {
      note(e.what());
    }
  }
  if (changed) check_all_gone(last);
}

// The helper thread: reads link notifications, asks `follow` what to capture shortly after a
// link appears and a few times more while a container finishes starting, and queues what it
// finds for the capture thread. Never touches the capture's state directly.
void capture_session::impl::follow_loop() {
  using namespace std::chrono_literals;
  static constexpr std::chrono::milliseconds schedule[] = {300ms, 1000ms, 2500ms, 5000ms};
  std::unordered_set<int> known = current_indexes();
  bool triggered = false;  // a rescan is scheduled, `step` of them after `trigger`
  clock::time_point trigger = clock::now();
  std::size_t step = 0;
  triggered = static_cast<bool>(options.follow);  // links that appeared before the subscription
  std::vector<detail::link_event> events;
  while (!follower_stop.load()) {
    auto timeout = std::chrono::milliseconds(200);
    if (triggered) {
      const auto due = trigger + schedule[step];
      timeout = std::clamp(
          std::chrono::duration_cast<std::chrono::milliseconds>(due - clock::now()), 0ms, timeout);
    }
    pollfd fds[2] = {{watch->selectable_fd(), POLLIN, 0}, {follower_wake.get(), POLLIN, 0}};
    ::poll(fds, 2, static_cast<int>(timeout.count()));
    if (follower_stop.load()) break;
    events.clear();
    bool complete = true;
    try {
      complete = watch->read(events);
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> hold(queue.lock);
      queue.warnings.push_back(std::string("following stopped: ") + e.what());
      queue.pending.store(true, std::memory_order_release);
      return;
    }
    std::vector<int> gone;
    bool appeared = !complete;
    for (const auto& e : events) {
      if (e.added) {
        appeared = known.insert(e.ifindex).second || appeared;
      } else {
        known.erase(e.ifindex);
        gone.push_back(e.ifindex);
      }
    }
    if (!complete) known = current_indexes();
    if (!gone.empty() || !complete) {
      std::lock_guard<std::mutex> hold(queue.lock);
      queue.gone.insert(queue.gone.end(), gone.begin(), gone.end());
      queue.recheck = queue.recheck || !complete;
      queue.pending.store(true, std::memory_order_release);
    }
    if (appeared && options.follow) {
      triggered = true;
      trigger = clock::now();
      step = 0;
    }
    if (!triggered || clock::now() < trigger + schedule[step]) continue;
    const auto at = std::chrono::system_clock::now();
    std::vector<capture_interface> found;
    std::string trouble;
    try {
      found = options.follow();
    } catch (const std::exception& e) {
      trouble = std::string("following: ") + e.what();
    }
    {
      std::lock_guard<std::mutex> hold(queue.lock);
      for (auto& i : found) queue.found.emplace_back(std::move(i), at);
      if (!trouble.empty()) queue.warnings.push_back(trouble);
      queue.pending.store(true, std::memory_order_release);
    }
    if (++step == std::size(schedule)) {
      triggered = false;
      step = 0;
    }
  }
}

void capture_session::impl::stop_follower() {
  follower_stop = true;
  if (follower_wake) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(follower_wake.get(), &one, sizeof one);
  }
  if (follower.joinable()) follower.join();
}

void capture_session::impl::conclude() {
  refresh_counters();
  refresh_rx_dropped();
  const auto end_ns = now_since_epoch();
  const bool socket_dropped = shared && shared_counters.dropped > 0;
  std::vector<interface_counters> isb;
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (members[i].handle) {
      stats[i].received = last_counters[i].received;
      stats[i].dropped_by_kernel = last_counters[i].dropped_by_kernel;
    } else {
      stats[i].received = last_counters[i].received;
      stats[i].dropped_by_kernel = 0;
      stats[i].dropped_by_kernel_known = !socket_dropped;
    }
    stats[i].dropped_by_interface = last_counters[i].dropped_by_interface;
    interface_counters c;
    c.start = stats[i].joined == result.started
                  ? started_ns
                  : std::chrono::duration_cast<std::chrono::nanoseconds>(
                        stats[i].joined.time_since_epoch());
    c.end = stats[i].left ? std::chrono::duration_cast<std::chrono::nanoseconds>(
                                stats[i].left->time_since_epoch())
                          : end_ns;
    c.received = stats[i].received;
    c.dropped_by_kernel = stats[i].dropped_by_kernel;
    c.dropped_by_kernel_known = stats[i].dropped_by_kernel_known;
    c.dropped_by_interface = stats[i].dropped_by_interface;
    c.delivered = stats[i].captured;
    isb.push_back(c);
  }
  for (auto& m : members) {
    if (m.handle) m.handle->close();
  }
  if (shared) {
    result.shared_socket =
        shared_socket_stats{shared_interfaces, shared_counters.received, shared_counters.dropped};
    shared.reset();
  }
  if (output) result.files = output->finish(isb);
  result.interfaces = stats;
  result.reason = reason.value_or(stop_reason::interrupted);
  result.message = message;
  result.packets = packets.load();
  result.bytes = bytes.load();
  result.finished = std::chrono::system_clock::now();
}

capture_session::capture_session(capture_options options) : impl_(std::make_unique<impl>()) {
  impl_->options = std::move(options);
}

capture_session::~capture_session() {
  if (impl_ && impl_->thread.joinable()) {
    impl_->stop_requested = true;
    impl_->thread.join();
  }
}

void capture_session::start() {
  auto& d = *impl_;
  if (d.thread.joinable() || d.collected) throw error(errc::conflict, "capture already started");
  d.result.filter = d.options.bpf_filter;
  d.result.started = std::chrono::system_clock::now();
  d.started_ns = now_since_epoch();
  d.open_all();
  d.thread = std::thread([&d] {
    try {
      d.loop();
      d.conclude();
    } catch (...) {
      d.failure = std::current_exception();
      d.stop_follower();
      for (auto& m : d.members) {
        if (m.handle) m.handle->close();
      }
      d.shared.reset();
      if (d.output) {
        d.output->abandon();
        d.result.files = d.output->files();
      }
    }
    d.finished = true;
  });
}

bool capture_session::done() const noexcept { return impl_->finished.load(); }

capture_result capture_session::wait() {
  auto& d = *impl_;
  if (d.thread.joinable()) d.thread.join();
  d.collected = true;
  if (d.failure) std::rethrow_exception(d.failure);
  return d.result;
}

capture_result capture_session::stop() {
  impl_->stop_requested = true;
  return wait();
}

std::uint64_t capture_session::packets() const noexcept { return impl_->packets.load(); }
std::uint64_t capture_session::bytes() const noexcept { return impl_->bytes.load(); }

capture_result run_capture(const capture_options& options) {
  capture_session s(options);
  s.start();
  return s.wait();
}

}  // namespace forensic::capture
