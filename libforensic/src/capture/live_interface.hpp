#pragma once
// One activated libpcap handle on a host interface, non-blocking, with its filter set: the
// owner of a pcap_t. Private to the capture module.
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "io/c_handles.hpp"

namespace forensic::capture::detail {

struct live_settings {
  int snaplen = 262144;
  bool promiscuous = true;
  int buffer_bytes = 32 << 20;
  bool immediate = false;
  std::chrono::milliseconds batch_timeout{100};
  std::string filter;
};

struct raw_packet {
  std::chrono::nanoseconds timestamp{0};
  std::uint32_t original_length = 0;
  std::span<const std::byte> data;
};

struct live_counters {
  std::uint64_t received = 0;
  std::uint64_t dropped_by_kernel = 0;
  std::uint64_t dropped_by_interface = 0;
};

class live_interface {
 public:
  // Creates, tunes, activates, filters and sets non-blocking; throws forensic::error
  // (not_found, permission_denied, invalid_argument for the filter, pcap). A setting libpcap
  // refuses is an error naming the interface; a warning from activation (promiscuous mode or
  // the time stamp type not supported) is kept in activation_warning().
  live_interface(const std::string& name, const live_settings& settings);
  ~live_interface();
  live_interface(live_interface&&) noexcept;
  live_interface& operator=(live_interface&&) noexcept;

  const std::string& name() const noexcept { return name_; }
  bool open() const noexcept { return handle_ != nullptr; }
  int selectable_fd() const noexcept { return fd_; }
  int link_type() const noexcept { return link_type_; }
  std::string link_type_name() const;

  using packet_fn = void (*)(void* context, const raw_packet& packet);
  // Hands every packet ready now to fn (at most `max`, -1 = all in the current buffer).
  // Returns the number handled, or -1 when the interface failed (it went away): error()
  // says why and the handle is closed. An exception thrown by fn stops the dispatch and is
  // rethrown here, once libpcap has returned (it must not cross libpcap's C frames).
  int dispatch(int max, packet_fn fn, void* context);
  // Stops a dispatch() in progress after the current packet (call from within fn).
  void break_loop() noexcept;

  // Cumulative counters; false when libpcap can't tell (the interface is gone).
  bool counters(live_counters& out) const;
  const std::string& failure() const noexcept { return error_; }
  // "promiscuous mode not supported on eth0: ...", or empty when activation had no warning.
  const std::string& activation_warning() const noexcept { return warning_; }
  void close() noexcept;

 private:
  std::string name_;
  io::pcap_ptr handle_;
  int fd_ = -1;
  int link_type_ = 0;
  bool nanoseconds_ = false;
  std::string error_;
  std::string warning_;
};

}  // namespace forensic::capture::detail
