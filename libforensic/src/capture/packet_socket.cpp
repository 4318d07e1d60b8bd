#include "capture/packet_socket.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "forensic/error.hpp"

namespace forensic::capture::detail {
namespace {

// 256 KiB blocks hold a 64 KiB GSO packet of a veth whole, and a 2 MiB ring still has 8 of them
// to rotate through while the capture thread sleeps.
constexpr std::size_t block_bytes = 256 << 10;
constexpr std::size_t min_blocks = 4;

sock_filter statement(std::uint16_t code, std::uint32_t k) { return {code, 0, 0, k}; }
sock_filter jump(std::uint16_t code, std::uint32_t k, std::uint8_t jt, std::uint8_t jf) {
  return {code, jt, jf, k};
}

// Lays out the search. Conditional jumps only ever skip one instruction; every longer jump is
// a `ja` (32-bit offset), so the program has no 255-instruction reach limit.
struct program_builder {
  const std::vector<int>& values;
  std::vector<sock_filter> code;
  std::vector<std::size_t> to_match, to_reject;  // `ja` instructions to point at the end

  void always(std::vector<std::size_t>& list) {
    list.push_back(code.size());
    code.push_back(statement(BPF_JMP | BPF_JA, 0));
  }
  void search(std::size_t lo, std::size_t hi) {
    if (hi - lo <= 3) {
      for (std::size_t i = lo; i < hi; ++i) {
        code.push_back(
            jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(values[i]), 0, 1));
        always(to_match);
      }
      always(to_reject);
      return;
    }
    const std::size_t mid = (lo + hi) / 2;
    // A > values[mid - 1]: the upper half, through the `ja` right after; else fall into the lower.
    code.push_back(
        jump(BPF_JMP | BPF_JGT | BPF_K, static_cast<std::uint32_t>(values[mid - 1]), 0, 1));
    const std::size_t to_upper = code.size();
    code.push_back(statement(BPF_JMP | BPF_JA, 0));
    search(lo, mid);
    code[to_upper].k = static_cast<std::uint32_t>(code.size() - to_upper - 1);
    search(mid, hi);
  }
  void point(const std::vector<std::size_t>& list, std::size_t target) {
    for (std::size_t at : list) code[at].k = static_cast<std::uint32_t>(target - at - 1);
  }
};

[[noreturn]] void throw_socket(const std::string& what, int err) {
  if (err == EPERM || err == EACCES) {
    throw error(errc::permission_denied,
                "capturing needs root or CAP_NET_RAW (" + what + ": " + std::strerror(err) + ")");
  }
  throw_errno(what, err);
}

}  // namespace

std::vector<sock_filter> interface_program(std::vector<int> ifindexes,
                                           const std::vector<sock_filter>& user,
                                           std::uint32_t snaplen) {
  std::sort(ifindexes.begin(), ifindexes.end());
  ifindexes.erase(std::unique(ifindexes.begin(), ifindexes.end()), ifindexes.end());
  if (ifindexes.empty()) return {statement(BPF_RET | BPF_K, 0)};
  program_builder b{ifindexes, {}, {}, {}};
  b.code.push_back(
      statement(BPF_LD | BPF_W | BPF_ABS, static_cast<std::uint32_t>(SKF_AD_OFF + SKF_AD_IFINDEX)));
  b.search(0, ifindexes.size());
  b.point(b.to_reject, b.code.size());
  b.code.push_back(statement(BPF_RET | BPF_K, 0));
  b.point(b.to_match, b.code.size());
  // The user's program starts by loading from the packet, so A holding the index is harmless;
  // its jumps are relative, so it runs unchanged after the search.
  if (user.empty()) {
    b.code.push_back(statement(BPF_RET | BPF_K, snaplen));
  } else {
    b.code.insert(b.code.end(), user.begin(), user.end());
  }
  return b.code;
}

packet_socket::packet_socket(const live_settings& s) : settings_(s) {
  if (!s.filter.empty()) {
    // Compiled for Ethernet, as libpcap does for a live Ethernet interface.
    const io::pcap_ptr dead(pcap_open_dead(DLT_EN10MB, s.snaplen));
    if (!dead) throw error(errc::pcap, "libpcap could not create a filter compiler");
    struct bpf_program program {};
    if (pcap_compile(dead.get(), &program, s.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      throw error(errc::invalid_argument,
                  "bad capture filter '" + s.filter + "': " + pcap_geterr(dead.get()));
    }
    for (unsigned i = 0; i < program.bf_len; ++i) {
      const bpf_insn& in = program.bf_insns[i];
      user_program_.push_back({in.code, in.jt, in.jf, in.k});
    }
    pcap_freecode(&program);
  }

  // Protocol 0: the socket receives nothing until bind(), so no packet passes before the
  // filter is in place.
  fd_.reset(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd_) throw_socket("cannot open a packet socket", errno);
  const int version = TPACKET_V3;
  if (::setsockopt(fd_.get(), SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0) {
    throw_socket("cannot select TPACKET_V3 on the packet socket", errno);
  }
  block_size_ = block_bytes;
  blocks_ =
      std::max(min_blocks, static_cast<std::size_t>(std::max(s.buffer_bytes, 0)) / block_size_);
  tpacket_req3 req{};
  req.tp_block_size = static_cast<unsigned>(block_size_);
  req.tp_block_nr = static_cast<unsigned>(blocks_);
  req.tp_frame_size = static_cast<unsigned>(block_size_);
  req.tp_frame_nr = static_cast<unsigned>(blocks_);
  req.tp_retire_blk_tov = static_cast<unsigned>(std::max<long long>(1, s.batch_timeout.count()));
  if (s.immediate) req.tp_retire_blk_tov = 1;
  if (::setsockopt(fd_.get(), SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0) {
    throw_socket("cannot set up the capture ring", errno);
  }
  void* at =
      ::mmap(nullptr, block_size_ * blocks_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
  if (at == MAP_FAILED) throw_socket("cannot map the capture ring", errno);
  ring_ = io::mapped_region(at, block_size_ * blocks_);
  set_interfaces({});
  sockaddr_ll where{};
  where.sll_family = AF_PACKET;
  where.sll_protocol = htons(ETH_P_ALL);
  where.sll_ifindex = 0;  // every interface; the filter chooses
  if (::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&where), sizeof where) != 0) {
    throw_socket("cannot bind the packet socket", errno);
  }
}

packet_socket::~packet_socket() = default;

void packet_socket::set_interfaces(std::vector<int> ifindexes) {
  auto code = interface_program(std::move(ifindexes), user_program_,
                                static_cast<std::uint32_t>(settings_.snaplen));
  if (code.size() > BPF_MAXINSNS) {
    throw error(errc::invalid_argument,
                "too many interfaces for one capture filter (" + std::to_string(code.size()) +
                    " instructions, the kernel takes " + std::to_string(BPF_MAXINSNS) + ")");
  }
  sock_fprog prog{static_cast<unsigned short>(code.size()), code.data()};
  if (::setsockopt(fd_.get(), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0) {
    throw_socket("cannot set the capture filter", errno);
  }
}

std::string packet_socket::promiscuous(int ifindex, const std::string& name) {
  packet_mreq m{};
  m.mr_ifindex = ifindex;
  m.mr_type = PACKET_MR_PROMISC;
  if (::setsockopt(fd_.get(), SOL_PACKET, PACKET_ADD_MEMBERSHIP, &m, sizeof m) == 0) return "";
  return "promiscuous mode not set on " + name + ": " + std::strerror(errno);
}

int packet_socket::dispatch(packet_fn fn, void* context) {
  int handled = 0;
  for (std::size_t seen = 0; seen < blocks_; ++seen) {
    auto* block = reinterpret_cast<tpacket_block_desc*>(ring_.data() + current_ * block_size_);
    auto& h1 = block->hdr.bh1;
    if ((__atomic_load_n(&h1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0) break;
    // Given back to the kernel however the loop below ends.
    struct give_back {
      tpacket_hdr_v1& h;
      ~give_back() { __atomic_store_n(&h.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE); }
    } release{h1};
    current_ = (current_ + 1) % blocks_;
    auto* at = reinterpret_cast<std::byte*>(block) + h1.offset_to_first_pkt;
    for (std::uint32_t i = 0; i < h1.num_pkts; ++i) {
      const auto* h = reinterpret_cast<const tpacket3_hdr*>(at);
      const auto* ll =
          reinterpret_cast<const sockaddr_ll*>(at + TPACKET_ALIGN(sizeof(tpacket3_hdr)));
      raw_packet p;
      p.timestamp = std::chrono::nanoseconds(static_cast<std::int64_t>(h->tp_sec) * 1'000'000'000 +
                                             h->tp_nsec);
      p.original_length = h->tp_len;
      p.data = {at + h->tp_mac, h->tp_snaplen};
      if ((h->tp_status & TP_STATUS_VLAN_VALID) && p.data.size() >= 12) {
        // The kernel took the 802.1Q tag out of the frame; put it back where it was, as
        // libpcap does, so the file holds the frame as it crossed the wire.
        const std::uint16_t tpid =
            htons((h->tp_status & TP_STATUS_VLAN_TPID_VALID) ? h->hv1.tp_vlan_tpid : ETH_P_8021Q);
        const std::uint16_t tci = htons(static_cast<std::uint16_t>(h->hv1.tp_vlan_tci));
        scratch_.resize(p.data.size() + 4);
        std::memcpy(scratch_.data(), p.data.data(), 12);
        std::memcpy(scratch_.data() + 12, &tpid, 2);
        std::memcpy(scratch_.data() + 14, &tci, 2);
        std::memcpy(scratch_.data() + 16, p.data.data() + 12, p.data.size() - 12);
        p.data = {scratch_.data(), scratch_.size()};
        p.original_length += 4;
      }
      fn(context, ll->sll_ifindex, p);
      ++handled;
      at += h->tp_next_offset;
    }
  }
  return handled;
}

bool packet_socket::counters(socket_counters& out) {
  tpacket_stats_v3 st{};
  socklen_t len = sizeof st;
  if (::getsockopt(fd_.get(), SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0) return false;
  // Each read resets the kernel's counters: add them up here. tp_packets includes the drops.
  totals_.received += st.tp_packets;
  totals_.dropped += st.tp_drops;
  out = totals_;
  return true;
}

}  // namespace forensic::capture::detail
