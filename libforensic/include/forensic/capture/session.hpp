#pragma once
// Packet capture: one session over one or many host interfaces (a container's host
// veths, a Docker bridge, docker0, any interface), written as pcapng (default) or plain pcap,
// hashed with SHA-256 while it is written, rotated by size or time, capped in total bytes and
// guarded against filling the disk.
//
// Two ways to run it:
//   - run_capture(options): blocks until a limit (duration, count, bytes), the stop flag, or a
//     guard ends it; the tool ir-capture uses this.
//   - capture_session: start() opens every interface (errors are thrown there, before any
//     packet) and captures in a background thread; stop() ends it and returns the result.
//     ir-collect starts a session first and stops it last; ir-locate --capture N likewise.
//
// Every finished file is complete and valid: written as "<file>.partial", hashed on the fly,
// fsynced, then renamed to "<file>", with a sidecar "<file>.sha256" in sha256sum format
// ("<hex>  <basename>"). Files are never overwritten: an existing output is refused.
//
// One interface alone gets a libpcap handle of its own (as tcpdump). Several Ethernet
// interfaces, or a following capture, share one packet socket with one kernel ring and a kernel
// filter on the interface index: memory and start-up stay flat whatever the number of
// interfaces, and each packet still carries its interface id in the pcapng. Other link types
// ("any", tunnels) keep a libpcap handle each.
// pcap.h stays out of this header (the handles live in the implementation).
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace forensic::capture {

// One host interface to capture on, and what it is to the responder. The description goes
// into the pcapng interface description block (if_description), so analysts see it in
// Wireshark: "host veth of container web (eth0, network backend)", "bridge of network backend".
struct capture_interface {
  std::string name;         // "veth1a2b3c4", "br-1a2b3c4d5e6f", "docker0", "eth0", "any"
  std::string description;  // free text; may be empty
};

// A packet as the callback sees it. `data` is valid only during the call.
struct packet_view {
  std::size_t interface_index = 0;        // index into capture_options::interfaces
  std::chrono::nanoseconds timestamp{0};  // since the Unix epoch (UTC)
  std::uint32_t original_length = 0;      // on the wire; data.size() may be less (snaplen)
  int link_type = 0;                      // libpcap DLT_* (1 = Ethernet)
  std::span<const std::byte> data;
};

enum class output_format { pcapng, pcap };

// A finished file.
struct capture_file {
  std::filesystem::path path;
  std::filesystem::path sha256_path;  // the sidecar
  std::string sha256;                 // 64 lowercase hex digits
  std::uint64_t bytes = 0;
  std::uint64_t packets = 0;
};

struct capture_options {
  std::vector<capture_interface> interfaces;
  // libpcap filter syntax, applied on every interface ("" = everything). See build_filter().
  std::string bpf_filter;
  int snaplen = 262144;
  bool promiscuous = true;  // needed on a bridge to see traffic between its ports

  // Limits: the first one reached stops the capture cleanly (stop_reason says which).
  std::optional<std::chrono::milliseconds> duration;
  std::optional<std::uint64_t> max_packets;  // packets written, all interfaces together
  std::optional<std::uint64_t> max_bytes;    // captured packet bytes, all interfaces together

  // Output. An empty path means: no file at all (callback only, e.g. flow counting).
  // With rotation, files are "<stem>-00001<ext>", "<stem>-00002<ext>", ... beside `output`;
  // without, exactly `output`.
  std::filesystem::path output;
  output_format format = output_format::pcapng;
  std::optional<std::uint64_t> rotate_bytes;           // start a new file past this size
  std::optional<std::chrono::seconds> rotate_seconds;  // or after this long
  std::optional<std::uint64_t> max_total_bytes;        // all files together; stop before exceeding
  // Stop (cleanly, stop_reason::disk_space) when the output file system would have less
  // than this free. Checked at start (refused there) and while writing.
  std::uint64_t min_free_bytes = 100ull << 20;
  // Section comment of each pcapng file (case number, operator, why). Ignored for plain pcap.
  std::string comment;

  // Loss tuning. A larger kernel buffer absorbs bursts; immediate mode delivers each packet
  // at once (lower latency, more wake-ups); batching (default) lets the kernel fill blocks
  // that are handed over every `batch_timeout` or when full.
  int buffer_bytes = 32 << 20;  // per interface
  bool immediate = false;
  std::chrono::milliseconds batch_timeout{100};

  // Checked about every 100 ms; when it turns true, the capture stops cleanly
  // (stop_reason::interrupted). Typically cli::install_interrupt_flag().
  const std::atomic<bool>* stop_flag = nullptr;
  // Called for every packet written (after limits), on the capture thread. Must not block;
  // an exception it throws ends the capture with that error.
  std::function<void(const packet_view&)> on_packet;
  // Called on the capture thread each time a file is finished (renamed and hashed).
  std::function<void(const capture_file&)> on_file;

  // Following: when set, interfaces that appear during the capture join it. The session
  // listens to the kernel's link notifications (rtnetlink) and, shortly after a link appears
  // (and again 1, 2.5 and 5 s later, while a container finishes starting), calls `follow` on
  // a helper thread; every interface it returns that is not being captured is added, as a new
  // interface of the pcapng, and its stats record when it joined. What could not be added is
  // in capture_result::not_added. An exception it throws is kept as a warning (once per text).
  // With following, the capture goes on when every interface has gone (a container restarting
  // gets new veths). The caller decides what to follow (e.g. net::resolve_targets()).
  std::function<std::vector<capture_interface>()> follow;
  // An interface of `interfaces` that is already gone when start() opens it (a container
  // stopping meanwhile) goes to capture_result::not_added instead of failing start(); start()
  // still fails when none is left. For captures on every veth at once (ir-locate --capture).
  bool skip_missing = false;
};

// Per interface, at the end. `received` and `dropped_*` come from libpcap (pcap_stats):
// on Linux `received` counts packets that passed the filter, including those the kernel then
// dropped for lack of buffer space (`dropped_by_kernel`); `dropped_by_interface` is the
// interface's own rx drop count during the capture. `captured` is what we wrote.
struct interface_stats {
  std::string name;
  std::string description;
  int link_type = 0;
  std::string link_type_name;  // "EN10MB"
  std::uint64_t captured = 0;
  std::uint64_t received = 0;
  std::uint64_t dropped_by_kernel = 0;
  std::uint64_t dropped_by_interface = 0;
  bool vanished = false;  // the interface went away during the capture (container stopped)
  // When it joined: the start, or when following added it; when it went away.
  std::chrono::system_clock::time_point joined;
  std::optional<std::chrono::system_clock::time_point> left;
  // Captured through the session's one shared packet socket (several Ethernet interfaces, or
  // following) rather than a libpcap handle of its own. The kernel then counts drops for the
  // socket as a whole (capture_result::shared_socket): `received` is what reached the session
  // from this interface, and `dropped_by_kernel` is known (0) only when the socket dropped
  // nothing; otherwise dropped_by_kernel_known is false.
  bool shared_socket = false;
  bool dropped_by_kernel_known = true;
};

// The shared packet socket's own counters (PACKET_STATISTICS).
struct shared_socket_stats {
  std::uint64_t interfaces = 0;  // interfaces it captured, over the whole capture
  std::uint64_t received = 0;    // passed the filter, including the dropped ones
  std::uint64_t dropped_by_kernel = 0;
};

// An interface following found but could not add (gone meanwhile, link type refused by plain
// pcap, too many for one filter, libpcap refused it).
struct interface_not_added {
  std::string name;
  std::string description;
  std::string reason;
  std::chrono::system_clock::time_point at;
};

enum class stop_reason {
  duration,         // --duration elapsed
  packet_count,     // max_packets reached
  byte_count,       // max_bytes reached
  total_bytes_cap,  // max_total_bytes would have been exceeded
  disk_space,       // min_free_bytes guard
  interrupted,      // stop_flag or capture_session::stop()
  interfaces_gone,  // every interface vanished
};
// "duration", "packet_count", ... (stable names for JSON).
const char* stop_reason_name(stop_reason r) noexcept;

struct capture_result {
  std::vector<capture_file> files;
  std::vector<interface_stats> interfaces;
  stop_reason reason = stop_reason::interrupted;
  std::string message;  // one human line saying why it stopped ("disk guard: 95 MiB left ...")
  std::uint64_t packets = 0;  // written, all interfaces
  std::uint64_t bytes = 0;    // captured packet bytes written
  std::chrono::system_clock::time_point started;
  std::chrono::system_clock::time_point finished;
  std::string filter;  // the BPF filter applied
  // What libpcap warned about when activating an interface ("promiscuous mode not supported
  // on eth0: ..."): the capture ran, but not quite as asked. Usually empty.
  std::vector<std::string> warnings;
  bool following = false;  // capture_options::follow was set
  std::vector<interface_not_added> not_added;
  std::optional<shared_socket_stats> shared_socket;  // when the shared socket was used
};

// {"schema": "forensic.capture/1", ...}; documented in docs/json-capture.md.
nlohmann::json to_json(const capture_result& result);

// Combines a user filter with the --peer / --port shortcuts:
//   build_filter("tcp", {"172.18.0.3"}, {443}) == "(host 172.18.0.3) and (port 443) and (tcp)".
// A peer is an IPv4/IPv6 address or a CIDR network ("10.0.0.0/8"); anything else is refused
// with errc::invalid_argument (so a filter can't be smuggled into --peer).
std::string build_filter(const std::string& filter, const std::vector<std::string>& peers,
                         const std::vector<int>& ports);

// Checks that `filter` compiles for Ethernet; throws errc::invalid_argument with libpcap's
// message otherwise. (Each interface compiles it again for its own link type.)
void check_filter(const std::string& filter);

// A running capture. Not copyable; the destructor stops it (finishing its files) if needed.
class capture_session {
 public:
  explicit capture_session(capture_options options);
  ~capture_session();
  capture_session(const capture_session&) = delete;
  capture_session& operator=(const capture_session&) = delete;

  // Opens and activates every interface, compiles the filter, checks the output (not
  // existing, enough free space) and starts the capture thread. Throws forensic::error:
  // errc::not_found (no such interface), permission_denied (not root / no CAP_NET_RAW),
  // invalid_argument (filter, mixed link types in plain pcap, existing output), no_space,
  // pcap (anything else libpcap refuses).
  void start();

  // True once the capture ended by itself (a limit, the stop flag, a guard, an error).
  bool done() const noexcept;

  // Asks the capture to stop, waits for it, finishes the current file and returns the result.
  // Rethrows an error that ended the capture (the files finished before it stay valid).
  capture_result stop();

  // Waits until the capture ends by itself, then returns as stop() does.
  capture_result wait();

  // Live counters (any thread).
  std::uint64_t packets() const noexcept;
  std::uint64_t bytes() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// start() + wait().
capture_result run_capture(const capture_options& options);

}  // namespace forensic::capture
