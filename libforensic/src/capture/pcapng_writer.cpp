#include "forensic/capture/pcapng_writer.hpp"

#include <cstring>

#include "forensic/error.hpp"

// Both formats are written in host byte order (the readers detect it from the magic numbers);
// this library builds for little-endian Linux hosts.
namespace forensic::capture {
namespace {

constexpr std::uint32_t shb_type = 0x0A0D0D0A;
constexpr std::uint32_t idb_type = 0x00000001;
constexpr std::uint32_t epb_type = 0x00000006;
constexpr std::uint32_t isb_type = 0x00000005;
constexpr std::uint32_t byte_order_magic = 0x1A2B3C4D;

constexpr std::uint16_t opt_endofopt = 0;
constexpr std::uint16_t opt_comment = 1;
constexpr std::uint16_t shb_hardware = 2, shb_os = 3, shb_userappl = 4;
constexpr std::uint16_t if_name = 2, if_description = 3, if_tsresol = 9, if_filter = 11;
constexpr std::uint16_t isb_starttime = 2, isb_endtime = 3, isb_ifrecv = 4, isb_ifdrop = 5,
                        isb_osdrop = 7, isb_usrdeliv = 8;

constexpr std::size_t pad4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

// Options: code, length, value padded to 32 bits.
std::size_t option_size(std::size_t value) { return 4 + pad4(value); }
std::size_t text_option_size(const std::string& s) { return s.empty() ? 0 : option_size(s.size()); }

// pcapng option lengths are 16 bits: cut longer texts rather than write a broken block.
std::string fit(const std::string& s) { return s.size() > 65000 ? s.substr(0, 65000) : s; }

}  // namespace

packet_writer::packet_writer(io::byte_sink& out, std::size_t buffer_bytes)
    : out_(out), buffer_(buffer_bytes < 4096 ? 4096 : buffer_bytes) {}

void packet_writer::write_statistics(std::uint32_t, const interface_counters&) {}
void packet_writer::add_interface(const interface_description&) {}

void packet_writer::put(const void* data, std::size_t size) {
  bytes_ += size;
  const auto* p = static_cast<const std::byte*>(data);
  while (size > 0) {
    if (used_ == buffer_.size()) flush();
    std::size_t n = std::min(size, buffer_.size() - used_);
    std::memcpy(buffer_.data() + used_, p, n);
    used_ += n;
    p += n;
    size -= n;
  }
}

std::byte* packet_writer::reserve(std::size_t size) {
  if (buffer_.size() - used_ < size) {
    flush();
    if (buffer_.size() < size) buffer_.resize(size);
  }
  std::byte* at = buffer_.data() + used_;
  used_ += size;
  bytes_ += size;
  return at;
}

std::byte* packet_writer::put_record(std::span<const std::byte> head,
                                     std::span<const std::byte> data, std::size_t size) {
  std::byte* out = reserve(size);
  std::memcpy(out, head.data(), head.size());
  out += head.size();
  if (!data.empty()) std::memcpy(out, data.data(), data.size());  // data() is null when empty
  return out + data.size();
}

void packet_writer::put_padding(std::size_t size) {
  static constexpr std::byte zeros[4]{};
  put(zeros, size);
}

void packet_writer::flush() {
  if (used_ == 0) return;
  std::size_t n = used_;
  used_ = 0;  // even if the sink throws: the bytes are lost either way, never written twice
  out_.write({buffer_.data(), n});
}

// ---- pcapng -------------------------------------------------------------------------------

void pcapng_writer::begin(const section_info& section,
                          const std::vector<interface_description>& interfaces) {
  auto text_option = [this](std::uint16_t code, const std::string& value) {
    if (value.empty()) return;
    put_u16(code);
    put_u16(static_cast<std::uint16_t>(value.size()));
    put(value.data(), value.size());
    put_padding(pad4(value.size()) - value.size());
  };
  const std::string comment = fit(section.comment), hw = fit(section.hardware),
                    os = fit(section.os), app = fit(section.application);
  std::size_t options = text_option_size(comment) + text_option_size(hw) + text_option_size(os) +
                        text_option_size(app);
  if (options) options += 4;
  auto total = static_cast<std::uint32_t>(28 + options);
  put_u32(shb_type);
  put_u32(total);
  put_u32(byte_order_magic);
  put_u16(1);  // major
  put_u16(0);  // minor
  const std::int64_t unknown_length = -1;
  put(&unknown_length, 8);
  text_option(opt_comment, comment);
  text_option(shb_hardware, hw);
  text_option(shb_os, os);
  text_option(shb_userappl, app);
  if (options) put_u32(opt_endofopt);
  put_u32(total);

  for (const auto& i : interfaces) add_interface(i);
}

void pcapng_writer::add_interface(const interface_description& i) {
  auto text_option = [this](std::uint16_t code, const std::string& value) {
    if (value.empty()) return;
    put_u16(code);
    put_u16(static_cast<std::uint16_t>(value.size()));
    put(value.data(), value.size());
    put_padding(pad4(value.size()) - value.size());
  };
  const std::string name = fit(i.name), description = fit(i.description);
  // if_filter: one byte saying "libpcap filter string", then the string.
  const std::string filter = i.filter.empty() ? "" : std::string(1, '\0') + fit(i.filter);
  std::size_t opts = text_option_size(name) + text_option_size(description) + option_size(1) +
                     text_option_size(filter) + 4;
  auto size = static_cast<std::uint32_t>(20 + opts);
  put_u32(idb_type);
  put_u32(size);
  put_u16(static_cast<std::uint16_t>(i.link_type));
  put_u16(0);
  put_u32(i.snaplen);
  text_option(if_name, name);
  text_option(if_description, description);
  const std::uint8_t nanoseconds = 9;
  put_u16(if_tsresol);
  put_u16(1);
  put(&nanoseconds, 1);
  put_padding(3);
  text_option(if_filter, filter);
  put_u32(opt_endofopt);
  put_u32(size);
}

std::size_t pcapng_writer::record_size(std::size_t captured) const { return 32 + pad4(captured); }

void pcapng_writer::write_packet(std::uint32_t interface_id, std::chrono::nanoseconds timestamp,
                                 std::span<const std::byte> data, std::uint32_t original_length) {
  const std::size_t size = record_size(data.size());
  const auto ts = static_cast<std::uint64_t>(timestamp.count());
  // Enhanced packet block: 28 bytes of header, the data padded to 32 bits, the size again.
  const std::uint32_t head[7] = {epb_type,
                                 static_cast<std::uint32_t>(size),
                                 interface_id,
                                 static_cast<std::uint32_t>(ts >> 32),
                                 static_cast<std::uint32_t>(ts & 0xffffffffu),
                                 static_cast<std::uint32_t>(data.size()),
                                 original_length};
  const auto trail = static_cast<std::uint32_t>(size);
  std::byte* end = put_record(std::as_bytes(std::span(head)), data, size);
  const std::size_t padding = pad4(data.size()) - data.size();
  std::memset(end, 0, padding);
  std::memcpy(end + padding, &trail, sizeof trail);
}

void pcapng_writer::write_statistics(std::uint32_t interface_id, const interface_counters& c) {
  auto u64_option = [this](std::uint16_t code, std::uint64_t v) {
    put_u16(code);
    put_u16(8);
    put(&v, 8);
  };
  auto ts_option = [this](std::uint16_t code, std::chrono::nanoseconds t) {
    const auto v = static_cast<std::uint64_t>(t.count());
    put_u16(code);
    put_u16(8);
    put_u32(static_cast<std::uint32_t>(v >> 32));
    put_u32(static_cast<std::uint32_t>(v & 0xffffffffu));
  };
  const std::uint32_t size = 24 + (c.dropped_by_kernel_known ? 6 : 5) * 12 + 4;
  const auto end = static_cast<std::uint64_t>(c.end.count());
  put_u32(isb_type);
  put_u32(size);
  put_u32(interface_id);
  put_u32(static_cast<std::uint32_t>(end >> 32));
  put_u32(static_cast<std::uint32_t>(end & 0xffffffffu));
  ts_option(isb_starttime, c.start);
  ts_option(isb_endtime, c.end);
  u64_option(isb_ifrecv, c.received);
  u64_option(isb_ifdrop, c.dropped_by_interface);
  if (c.dropped_by_kernel_known) u64_option(isb_osdrop, c.dropped_by_kernel);
  u64_option(isb_usrdeliv, c.delivered);
  put_u32(opt_endofopt);
  put_u32(size);
}

// ---- classic pcap -------------------------------------------------------------------------

void pcap_writer::begin(const section_info&, const std::vector<interface_description>& interfaces) {
  if (interfaces.size() != 1) {
    throw error(errc::invalid_argument, "plain pcap holds exactly one link type; got " +
                                            std::to_string(interfaces.size()) +
                                            " interface descriptions");
  }
  put_u32(0xa1b23c4d);  // nanosecond-resolution pcap
  put_u16(2);
  put_u16(4);
  put_u32(0);  // thiszone
  put_u32(0);  // sigfigs
  put_u32(interfaces[0].snaplen);
  put_u32(static_cast<std::uint32_t>(interfaces[0].link_type));
}

std::size_t pcap_writer::record_size(std::size_t captured) const { return 16 + captured; }

void pcap_writer::write_packet(std::uint32_t, std::chrono::nanoseconds timestamp,
                               std::span<const std::byte> data, std::uint32_t original_length) {
  const auto ns = timestamp.count();
  const std::uint32_t head[4] = {static_cast<std::uint32_t>(ns / 1'000'000'000),
                                 static_cast<std::uint32_t>(ns % 1'000'000'000),
                                 static_cast<std::uint32_t>(data.size()), original_length};
  put_record(std::as_bytes(std::span(head)), data, record_size(data.size()));
}

}  // namespace forensic::capture
