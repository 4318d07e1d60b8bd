#include "capture/live_interface.hpp"

#include <pcap/pcap.h>

#include <cstdint>

#include "forensic/error.hpp"

namespace forensic::capture::detail {
namespace {

struct dispatch_context {
  live_interface::packet_fn fn;
  void* context;
  bool nanoseconds;
  std::uintptr_t prefetched_until = 0;
};

// The kernel writes packets one after another into a ring block, from another CPU and often
// long before a batch is drained, so each packet's header and bytes are a cache miss when
// libpcap and the writer first touch them: a third of a capture's CPU per packet (perf). Asking
// for the next 2 KiB while the current packet is handled hides most of that wait
// (bench/capture.sh side by side: 1.13x of tcpdump's CPU per packet without it, 0.7x with it). Only
// the lines not asked for already are requested; a prefetch is a hint that never faults, so running
// past the end of a block is harmless.
constexpr std::uintptr_t cache_line = 64;
constexpr std::uintptr_t prefetch_distance = 2048;

inline void prefetch_ahead(dispatch_context& d, const u_char* packet_end) {
  const auto end = reinterpret_cast<std::uintptr_t>(packet_end);
  std::uintptr_t from = d.prefetched_until;
  if (from < end || from > end + prefetch_distance) from = end;  // first packet, or a new block
  const std::uintptr_t to = end + prefetch_distance;
  for (std::uintptr_t line = from & ~(cache_line - 1); line < to; line += cache_line) {
    __builtin_prefetch(reinterpret_cast<const void*>(line));
  }
  d.prefetched_until = to;
}

extern "C" void on_pcap_packet(u_char* user, const struct pcap_pkthdr* h, const u_char* bytes) {
  auto* d = reinterpret_cast<dispatch_context*>(user);
  prefetch_ahead(*d, bytes + h->caplen);
  raw_packet p;
  const std::int64_t fraction = d->nanoseconds ? h->ts.tv_usec : h->ts.tv_usec * 1000LL;
  p.timestamp = std::chrono::nanoseconds(static_cast<std::int64_t>(h->ts.tv_sec) * 1'000'000'000 +
                                         fraction);
  p.original_length = h->len;
  p.data = {reinterpret_cast<const std::byte*>(bytes), h->caplen};
  d->fn(d->context, p);
}

// Maps pcap_activate's status to the error a responder can act on.
[[noreturn]] void throw_activate(const std::string& name, int status, pcap_t* p) {
  const std::string detail = pcap_geterr(p);
  switch (status) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
      throw error(errc::not_found, "no interface named '" + name + "' on this host (" + detail +
                                       "); the container may have stopped");
    case PCAP_ERROR_PERM_DENIED:
    case PCAP_ERROR_PROMISC_PERM_DENIED:
      throw error(errc::permission_denied, "capturing on " + name +
                                               " needs root or CAP_NET_RAW (" + detail + ")");
    case PCAP_ERROR_IFACE_NOT_UP:
      throw error(errc::pcap, "interface " + name + " is down");
    default:
      throw error(errc::pcap, "cannot capture on " + name + ": " +
                                  (detail.empty() ? pcap_statustostr(status) : detail));
  }
}

}  // namespace

void live_interface::deleter::operator()(pcap* p) const noexcept {
  if (p) pcap_close(p);
}

live_interface::live_interface(const std::string& name, const live_settings& s) : name_(name) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  handle_.reset(pcap_create(name.c_str(), errbuf));
  if (!handle_) throw error(errc::pcap, "cannot capture on " + name + ": " + errbuf);
  pcap_t* p = handle_.get();
  pcap_set_snaplen(p, s.snaplen);
  pcap_set_promisc(p, s.promiscuous ? 1 : 0);
  pcap_set_buffer_size(p, s.buffer_bytes);
  pcap_set_timeout(p, static_cast<int>(s.batch_timeout.count()));
  pcap_set_immediate_mode(p, s.immediate ? 1 : 0);
  nanoseconds_ = pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) == 0;
  const int status = pcap_activate(p);
  if (status < 0) throw_activate(name, status, p);
  nanoseconds_ = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
  link_type_ = pcap_datalink(p);

  if (!s.filter.empty()) {
    struct bpf_program program {};
    if (pcap_compile(p, &program, s.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      throw error(errc::invalid_argument,
                  "bad capture filter '" + s.filter + "' on " + name + ": " + pcap_geterr(p));
    }
    const int set = pcap_setfilter(p, &program);
    pcap_freecode(&program);
    if (set != 0) throw error(errc::pcap, "cannot set the filter on " + name + ": " + pcap_geterr(p));
  }
  if (pcap_setnonblock(p, 1, errbuf) != 0) {
    throw error(errc::pcap, "cannot make " + name + " non-blocking: " + errbuf);
  }
  fd_ = pcap_get_selectable_fd(p);
  if (fd_ < 0) throw error(errc::pcap, "interface " + name + " has no selectable descriptor");
}

live_interface::~live_interface() = default;
live_interface::live_interface(live_interface&&) noexcept = default;
live_interface& live_interface::operator=(live_interface&&) noexcept = default;

std::string live_interface::link_type_name() const {
  const char* n = pcap_datalink_val_to_name(link_type_);
  return n ? n : "DLT_" + std::to_string(link_type_);
}

int live_interface::dispatch(int max, packet_fn fn, void* context) {
  if (!handle_) return -1;
  dispatch_context d{fn, context, nanoseconds_};
  const int n = pcap_dispatch(handle_.get(), max, on_pcap_packet, reinterpret_cast<u_char*>(&d));
  if (n == PCAP_ERROR_BREAK) return 0;
  if (n < 0) {
    error_ = pcap_geterr(handle_.get());
    return -1;
  }
  return n;
}

void live_interface::break_loop() noexcept {
  if (handle_) pcap_breakloop(handle_.get());
}

bool live_interface::counters(live_counters& out) const {
  if (!handle_) return false;
  struct pcap_stat st {};
  if (pcap_stats(handle_.get(), &st) != 0) return false;
  out.received = st.ps_recv;
  out.dropped_by_kernel = st.ps_drop;
  out.dropped_by_interface = st.ps_ifdrop;
  return true;
}

void live_interface::close() noexcept {
  handle_.reset();
  fd_ = -1;
}

}  // namespace forensic::capture::detail
