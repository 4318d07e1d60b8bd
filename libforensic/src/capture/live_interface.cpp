#include "capture/live_interface.hpp"

#include <pcap/pcap.h>

#include <cstdint>
#include <exception>

#include "forensic/error.hpp"

namespace forensic::capture::detail {
namespace {

struct dispatch_context {
  live_interface::packet_fn fn;
  void* context;
  bool nanoseconds;
  pcap_t* handle;
  std::uintptr_t prefetched_until = 0;
  std::exception_ptr failure;  // what fn threw: rethrown once pcap_dispatch has returned
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
  if (d->failure) return;
  prefetch_ahead(*d, bytes + h->caplen);
  raw_packet p;
  const std::int64_t fraction = d->nanoseconds ? h->ts.tv_usec : h->ts.tv_usec * 1000LL;
  p.timestamp =
      std::chrono::nanoseconds(static_cast<std::int64_t>(h->ts.tv_sec) * 1'000'000'000 + fraction);
  p.original_length = h->len;
  p.data = {reinterpret_cast<const std::byte*>(bytes), h->caplen};
  try {
    d->fn(d->context, p);
  } catch (...) {
    d->failure = std::current_exception();
    pcap_breakloop(d->handle);
  }
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
      throw error(errc::permission_denied,
                  "capturing on " + name + " needs root or CAP_NET_RAW (" + detail + ")");
    case PCAP_ERROR_IFACE_NOT_UP:
      throw error(errc::pcap, "interface " + name + " is down");
    default:
      throw error(errc::pcap, "cannot capture on " + name + ": " +
                                  (detail.empty() ? pcap_statustostr(status) : detail));
  }
}

// A pcap_set_* refused (only before activation, or a value out of range).
void set(pcap_t* p, const std::string& name, const char* what, int rc) {
  if (rc == 0) return;
  const std::string detail = rc == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(rc);
  throw error(errc::pcap, "cannot set the " + std::string(what) + " on " + name + ": " + detail);
}

// pcap_activate succeeded with a warning: the capture runs, but not quite as asked.
std::string describe_warning(const std::string& name, int status, pcap_t* p) {
  std::string detail = pcap_geterr(p);
  std::string what;
  switch (status) {
    case PCAP_WARNING_PROMISC_NOTSUP:
      what = "promiscuous mode not supported on " + name;
      break;
    case PCAP_WARNING_TSTAMP_TYPE_NOTSUP:
      what = "time stamp type not supported on " + name;
      break;
    default:
      what = "libpcap warning on " + name;
      if (detail.empty()) detail = pcap_statustostr(status);
      break;
  }
  return detail.empty() ? what : what + ": " + detail;
}

}  // namespace

live_interface::live_interface(const std::string& name, const live_settings& s) : name_(name) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  handle_.reset(pcap_create(name.c_str(), errbuf));
  if (!handle_) throw error(errc::pcap, "cannot capture on " + name + ": " + errbuf);
  pcap_t* p = handle_.get();
  set(p, name, "snapshot length", pcap_set_snaplen(p, s.snaplen));
  set(p, name, "promiscuous mode", pcap_set_promisc(p, s.promiscuous ? 1 : 0));
  set(p, name, "buffer size", pcap_set_buffer_size(p, s.buffer_bytes));
  set(p, name, "timeout", pcap_set_timeout(p, static_cast<int>(s.batch_timeout.count())));
  set(p, name, "immediate mode", pcap_set_immediate_mode(p, s.immediate ? 1 : 0));
  // Optional: without nanosecond time stamps the capture has microseconds (checked below).
  pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
  const int status = pcap_activate(p);
  if (status < 0) throw_activate(name, status, p);
  if (status > 0) warning_ = describe_warning(name, status, p);
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
    if (set != 0)
      throw error(errc::pcap, "cannot set the filter on " + name + ": " + pcap_geterr(p));
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
  dispatch_context d{fn, context, nanoseconds_, handle_.get(), 0, nullptr};
  const int n = pcap_dispatch(handle_.get(), max, on_pcap_packet, reinterpret_cast<u_char*>(&d));
  if (d.failure) std::rethrow_exception(d.failure);
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
