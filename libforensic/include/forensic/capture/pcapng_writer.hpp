#pragma once
// Streaming writers of capture files into a byte_sink (so the bytes can be hashed on their
// way to disk): pcapng (the default: several interfaces, each with its name and description,
// section comments, statistics) and classic pcap (one link type only). Both buffer records
// and hand the sink large writes; flush() pushes what is buffered.
//
// Timestamps are nanoseconds since the Unix epoch; pcapng interfaces declare if_tsresol=9 and
// plain pcap uses the nanosecond magic (0xa1b23c4d), which tcpdump, tshark and Wireshark read.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "forensic/io/byte_sink.hpp"

namespace forensic::capture {

struct section_info {
  std::string comment;      // opt_comment of the section header block
  std::string hardware;     // shb_hardware ("x86_64")
  std::string os;           // shb_os ("Linux 6.1.0-13-amd64")
  std::string application;  // shb_userappl ("libforensic 0.1.0")
};

struct interface_description {
  std::string name;         // if_name
  std::string description;  // if_description
  std::string filter;       // if_filter (libpcap syntax), empty when none
  int link_type = 1;        // LINKTYPE_* (DLT values for the usual types)
  std::uint32_t snaplen = 262144;
};

// Interface statistics block (pcapng only), cumulative since the capture started.
struct interface_counters {
  std::chrono::nanoseconds start{0};
  std::chrono::nanoseconds end{0};
  std::uint64_t received = 0;              // isb_ifrecv
  std::uint64_t dropped_by_interface = 0;  // isb_ifdrop
  std::uint64_t dropped_by_kernel = 0;     // isb_osdrop (left out when not known)
  bool dropped_by_kernel_known = true;
  std::uint64_t delivered = 0;  // isb_usrdeliv
};

class packet_writer {
 public:
  explicit packet_writer(io::byte_sink& out, std::size_t buffer_bytes = 1 << 20);
  virtual ~packet_writer() = default;
  packet_writer(const packet_writer&) = delete;
  packet_writer& operator=(const packet_writer&) = delete;

  // Writes the file header: the section header and one description per interface (pcapng),
  // or the global header (pcap: exactly one interface). Interface ids are the indexes.
  virtual void begin(const section_info& section,
                     const std::vector<interface_description>& interfaces) = 0;
  virtual void write_packet(std::uint32_t interface_id, std::chrono::nanoseconds timestamp,
                            std::span<const std::byte> data, std::uint32_t original_length) = 0;
  // An interface that joins after begin(): pcapng writes its description block here (valid
  // anywhere in a section; its id is the next one). Plain pcap has no such block: a no-op, the
  // caller keeps to the file's one link type.
  virtual void add_interface(const interface_description& interface);
  // pcapng only; a no-op for plain pcap.
  virtual void write_statistics(std::uint32_t interface_id, const interface_counters& counters);
  // Size in the file of one packet record with `captured` bytes (for size limits).
  virtual std::size_t record_size(std::size_t captured) const = 0;

  // Hands the buffered bytes to the sink.
  void flush();
  // Bytes produced so far (flushed or not).
  std::uint64_t bytes() const noexcept { return bytes_; }

 protected:
  void put(const void* data, std::size_t size);
  // `size` bytes of room in the buffer, counted as written: a packet record is laid out with
  // a few fixed-size copies instead of one put() call per field (which cost a library memcpy
  // call each: a quarter of the capture's CPU per packet).
  std::byte* reserve(std::size_t size);
  // Reserves a record of `size` bytes and lays `head`, then `data`, at its start; returns
  // where the data ends (the format's padding and trailer go there).
  std::byte* put_record(std::span<const std::byte> head, std::span<const std::byte> data,
                        std::size_t size);
  void put_u16(std::uint16_t v) { put(&v, 2); }
  void put_u32(std::uint32_t v) { put(&v, 4); }
  void put_padding(std::size_t size);

 private:
  io::byte_sink& out_;
  std::vector<std::byte> buffer_;
  std::size_t used_ = 0;
  std::uint64_t bytes_ = 0;
};

class pcapng_writer final : public packet_writer {
 public:
  using packet_writer::packet_writer;
  void begin(const section_info& section,
             const std::vector<interface_description>& interfaces) override;
  void write_packet(std::uint32_t interface_id, std::chrono::nanoseconds timestamp,
                    std::span<const std::byte> data, std::uint32_t original_length) override;
  void add_interface(const interface_description& interface) override;
  void write_statistics(std::uint32_t interface_id, const interface_counters& counters) override;
  std::size_t record_size(std::size_t captured) const override;
};

class pcap_writer final : public packet_writer {
 public:
  using packet_writer::packet_writer;
  // Throws errc::invalid_argument unless there is exactly one interface.
  void begin(const section_info& section,
             const std::vector<interface_description>& interfaces) override;
  void write_packet(std::uint32_t interface_id, std::chrono::nanoseconds timestamp,
                    std::span<const std::byte> data, std::uint32_t original_length) override;
  std::size_t record_size(std::size_t captured) const override;
};

}  // namespace forensic::capture
