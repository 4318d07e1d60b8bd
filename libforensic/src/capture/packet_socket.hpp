#pragma once
// One packet socket for many Ethernet interfaces at once: an AF_PACKET socket bound to no
// interface, with one TPACKET_V3 ring, and a kernel filter that accepts a packet only when it
// crossed one of the chosen interfaces (by interface index) and then passes the user's filter.
// Private to the capture module.
//
// Why: one libpcap handle per interface costs one kernel ring each (32 MiB by default, 2 MiB
// for ir-locate) and one activation each (socket, ring, mmap, promiscuous mode): 632 MB and 4 s
// of start-up for the veths of 300 containers. Here memory is one ring whatever the number of
// interfaces, adding an interface is one filter swap, and the interface of every packet is
// known from the ring's own header (sockaddr_ll.sll_ifindex), so the pcapng keeps it.
#include <linux/filter.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "capture/live_interface.hpp"
#include "forensic/io/unique_fd.hpp"
#include "io/c_handles.hpp"

namespace forensic::capture::detail {

// What the kernel counts for the whole socket (PACKET_STATISTICS, cumulative here).
struct socket_counters {
  std::uint64_t received = 0;  // passed the filter, including the dropped ones
  std::uint64_t dropped = 0;   // no room in the ring
};

class packet_socket {
 public:
  // Creates the socket and its ring of about settings.buffer_bytes, compiles the user filter
  // for Ethernet, and starts with no interface (everything rejected). Throws forensic::error
  // (permission_denied without CAP_NET_RAW, invalid_argument for the filter, io otherwise).
  explicit packet_socket(const live_settings& settings);
  ~packet_socket();
  packet_socket(const packet_socket&) = delete;
  packet_socket& operator=(const packet_socket&) = delete;

  int selectable_fd() const noexcept { return fd_.get(); }

  // The interfaces whose packets are kept, by index; the kernel filter is replaced atomically.
  // Throws errc::invalid_argument when the program would exceed the kernel's 4096
  // instructions (about 1300 interfaces with a short user filter).
  void set_interfaces(std::vector<int> ifindexes);
  // Puts an interface in promiscuous mode for as long as the socket lives (the kernel undoes
  // it when the socket closes or the interface goes). Returns why it failed, or "".
  std::string promiscuous(int ifindex, const std::string& name);

  using packet_fn = void (*)(void* context, int ifindex, const raw_packet& packet);
  // Hands every packet of every block the kernel has handed over to fn; returns how many.
  // An exception thrown by fn propagates (the block being read is then given back).
  int dispatch(packet_fn fn, void* context);

  // Cumulative counters of the socket; false when the kernel could not tell.
  bool counters(socket_counters& out);

 private:
  live_settings settings_;
  io::unique_fd fd_;
  io::mapped_region ring_;
  std::size_t block_size_ = 0;
  std::size_t blocks_ = 0;
  std::size_t current_ = 0;
  std::vector<sock_filter> user_program_;
  std::vector<std::byte> scratch_;  // a packet with its VLAN tag put back
  socket_counters totals_;
};

// The classic BPF program: load the interface index, binary search in `ifindexes`, and on a
// match run `user` (or accept `snaplen` bytes when it is empty); reject otherwise. Exposed for
// the unit test.
std::vector<sock_filter> interface_program(std::vector<int> ifindexes,
                                           const std::vector<sock_filter>& user,
                                           std::uint32_t snaplen);

}  // namespace forensic::capture::detail
