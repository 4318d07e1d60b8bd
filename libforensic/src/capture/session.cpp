#include "forensic/capture/session.hpp"

#include <poll.h>
#include <sys/utsname.h>

#include <cstdio>
#include <exception>
#include <mutex>
#include <thread>

#include "capture/live_interface.hpp"
#include "capture/output.hpp"
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

}  // namespace

struct capture_session::impl {
  capture_options options;
  std::vector<detail::live_interface> live;
  std::vector<interface_stats> stats;
  std::vector<detail::live_counters> last_counters;
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

  // The capture thread's clocks and pacing between two drains.
  struct pacing {
    clock::time_point last_tick, last_counters_at, last_drain;
    std::optional<clock::time_point> deadline;
    std::vector<pollfd> fds;
    bool busy = false;  // the last drain found packets: sleep, do not poll
    std::chrono::milliseconds pause{10};
  };

  void open_all();
  void loop();
  bool stop_due(clock::time_point now, const pacing& p);
  void wait_for_packets(pacing& p, clock::time_point now);
  void drain_and_adapt(pacing& p);
  void periodic_work(pacing& p);
  void finish_pending();
  void drain(bool all);
  void on_packet(const detail::raw_packet& p);
  void interface_failed(std::size_t i);
  void refresh_counters();
  void conclude();
  void stop_with(stop_reason r, std::string text) {
    if (!reason) {
      reason = r;
      message = std::move(text);
    }
  }
};

void capture_session::impl::open_all() {
  if (options.interfaces.empty()) {
    throw error(errc::invalid_argument, "no interface to capture on");
  }
  if (options.snaplen <= 0) throw error(errc::invalid_argument, "snaplen must be positive");
  detail::live_settings s;
  s.snaplen = options.snaplen;
  s.promiscuous = options.promiscuous;
  s.buffer_bytes = options.buffer_bytes;
  s.immediate = options.immediate;
  s.batch_timeout = options.batch_timeout;
  s.filter = options.bpf_filter;
  std::vector<interface_description> descriptions;
  for (const auto& i : options.interfaces) {
    live.emplace_back(i.name, s);
    if (const auto& w = live.back().activation_warning(); !w.empty()) result.warnings.push_back(w);
    interface_stats st;
    st.name = i.name;
    st.description = i.description;
    st.link_type = live.back().link_type();
    st.link_type_name = live.back().link_type_name();
    stats.push_back(st);
    interface_description d;
    d.name = i.name;
    d.description = i.description;
    d.filter = options.bpf_filter;
    d.link_type = st.link_type;
    d.snaplen = static_cast<std::uint32_t>(options.snaplen);
    descriptions.push_back(d);
  }
  last_counters.resize(live.size());
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
    output = std::make_unique<detail::capture_output>(o, std::move(descriptions));
  }
}

void capture_session::impl::on_packet(const detail::raw_packet& p) {
  if (reason) {
    live[current_interface].break_loop();
    return;
  }
  if (options.max_packets && packets.load() >= *options.max_packets) {
    stop_with(stop_reason::packet_count,
              "packet count of " + std::to_string(*options.max_packets) + " reached");
    live[current_interface].break_loop();
    return;
  }
  if (options.max_bytes && bytes.load() + p.data.size() > *options.max_bytes) {
    stop_with(stop_reason::byte_count,
              "byte limit of " + std::to_string(*options.max_bytes) + " reached");
    live[current_interface].break_loop();
    return;
  }
  if (output) {
    auto stop = output->write(static_cast<std::uint32_t>(current_interface), p.timestamp, p.data,
                              p.original_length);
    if (stop) {
      stop_with(stop->reason, stop->message);
      live[current_interface].break_loop();
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
    live[current_interface].break_loop();
  }
}

void capture_session::impl::interface_failed(std::size_t i) {
  // The usual cause: the container stopped and its veth was deleted. The packets read so far
  // stay in the file; the others go on.
  refresh_counters();
  stats[i].vanished = true;
  live[i].close();
  bool any = false;
  for (const auto& l : live) any = any || l.open();
  if (!any)
    stop_with(stop_reason::interfaces_gone, "every interface went away (last: " + live[i].name() +
                                                ": " + live[i].failure() + ")");
}

void capture_session::impl::refresh_counters() {
  for (std::size_t i = 0; i < live.size(); ++i) {
    detail::live_counters c;
    if (live[i].counters(c)) last_counters[i] = c;
  }
}

void capture_session::impl::drain(bool all) {
  auto trampoline = [](void* self, const detail::raw_packet& p) {
    static_cast<impl*>(self)->on_packet(p);
  };
  for (std::size_t i = 0; i < live.size() && !reason; ++i) {
    if (!live[i].open()) continue;
    current_interface = i;
    // One dispatch takes every block the kernel has handed over (TPACKET_V3); calling again
    // would only cost another syscall. When finishing, loop until nothing is left.
    for (int round = 0; round < (all ? 1000 : 1) && !reason; ++round) {
      const int n = live[i].dispatch(-1, trampoline, this);
      if (n < 0) {
        interface_failed(i);
        break;
      }
      if (n == 0) break;
    }
  }
}

void capture_session::impl::loop() {
  const auto start = clock::now();
  pacing p;
  p.last_tick = p.last_counters_at = p.last_drain = start;
  if (options.duration) p.deadline = start + *options.duration;
  p.fds.resize(live.size());
  while (!reason) {
    const auto now = clock::now();
    if (stop_due(now, p)) break;
    wait_for_packets(p, now);
    drain_and_adapt(p);
    periodic_work(p);
  }
  finish_pending();
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
  for (std::size_t i = 0; i < live.size(); ++i) {
    p.fds[i] = {live[i].open() ? live[i].selectable_fd() : -1, POLLIN, 0};
  }
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

// Rotation and caps every tick; the kernel's drop counters every second.
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
    std::vector<pollfd> fds;
    for (auto& l : live) {
      if (l.open()) fds.push_back({l.selectable_fd(), POLLIN, 0});
    }
    if (fds.empty()) break;
    ::poll(fds.data(), fds.size(), 20);
    drain(true);
  }
  if (!reason)
    reason = saved;
  else
    message += " (while finishing after: " + std::string(stop_reason_name(*saved)) + ")";
}

void capture_session::impl::conclude() {
  refresh_counters();
  const auto end_ns = now_since_epoch();
  std::vector<interface_counters> isb;
  for (std::size_t i = 0; i < live.size(); ++i) {
    stats[i].received = last_counters[i].received;
    stats[i].dropped_by_kernel = last_counters[i].dropped_by_kernel;
    stats[i].dropped_by_interface = last_counters[i].dropped_by_interface;
    interface_counters c;
    c.start = started_ns;
    c.end = end_ns;
    c.received = stats[i].received;
    c.dropped_by_kernel = stats[i].dropped_by_kernel;
    c.dropped_by_interface = stats[i].dropped_by_interface;
    c.delivered = stats[i].captured;
    isb.push_back(c);
  }
  for (auto& l : live) l.close();
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
      for (auto& l : d.live) l.close();
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
