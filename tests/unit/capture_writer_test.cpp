// The capture file writers: block layout of pcapng (section, interfaces with names and
// descriptions, packets, statistics) and plain pcap, read back by libpcap itself.
#include <doctest/doctest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "forensic/capture/pcapng_writer.hpp"
#include "forensic/error.hpp"

using namespace forensic;
using namespace forensic::capture;
namespace fs = std::filesystem;

namespace {

std::uint32_t u32(const std::string& s, std::size_t at) {
  std::uint32_t v;
  std::memcpy(&v, s.data() + at, 4);
  return v;
}
std::uint16_t u16(const std::string& s, std::size_t at) {
  std::uint16_t v;
  std::memcpy(&v, s.data() + at, 2);
  return v;
}

std::vector<std::byte> frame(std::size_t size, unsigned char fill) {
  return std::vector<std::byte>(size, std::byte{fill});
}

// (type, offset) of every block, checking that leading and trailing lengths agree.
std::vector<std::pair<std::uint32_t, std::size_t>> blocks(const std::string& file) {
  std::vector<std::pair<std::uint32_t, std::size_t>> out;
  std::size_t at = 0;
  while (at < file.size()) {
    REQUIRE(at + 12 <= file.size());
    const std::uint32_t length = u32(file, at + 4);
    REQUIRE(length % 4 == 0);
    REQUIRE(at + length <= file.size());
    CHECK(u32(file, at + length - 4) == length);
    out.emplace_back(u32(file, at), at);
    at += length;
  }
  return out;
}

// The text options of a block whose options start at `from`.
std::map<std::uint16_t, std::string> options(const std::string& file, std::size_t from,
                                             std::size_t end) {
  std::map<std::uint16_t, std::string> out;
  while (from + 4 <= end) {
    const std::uint16_t code = u16(file, from), len = u16(file, from + 2);
    if (code == 0) break;
    out[code] = file.substr(from + 4, len);
    from += 4 + ((len + 3u) & ~3u);
  }
  return out;
}

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("capture-writer-" + std::to_string(::getpid()) + name);
}

void save(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("pcapng: section comment, one named interface block each, packets, statistics") {
  io::string_sink sink;
  {
    pcapng_writer w(sink, 64);  // a tiny buffer exercises the flushes
    section_info s{"case 4711: web compromise", "x86_64", "Linux 6.1", "libforensic test"};
    w.begin(s, {{"veth1234567", "host veth of container web", "icmp", 1, 65535},
                {"br-0123456789ab", "bridge of network backend", "icmp", 1, 65535}});
    auto a = frame(60, 0xaa), b = frame(98, 0xbb);
    w.write_packet(0, std::chrono::nanoseconds(1'700'000'000'123'456'789LL), a, 60);
    w.write_packet(1, std::chrono::nanoseconds(1'700'000'001'000'000'001LL), b, 1500);
    w.write_statistics(0, {std::chrono::nanoseconds(1), std::chrono::nanoseconds(2), 7, 1, 2, 1});
    w.flush();
    CHECK(w.bytes() == sink.str().size());
  }
  const std::string& f = sink.str();
  auto list = blocks(f);
  REQUIRE(list.size() == 6);
  CHECK(list[0].first == 0x0A0D0D0A);
  CHECK(u32(f, 8) == 0x1A2B3C4D);
  auto shb = options(f, 24, list[1].second);
  CHECK(shb[1] == "case 4711: web compromise");
  CHECK(shb[4] == "libforensic test");

  CHECK(list[1].first == 1);
  CHECK(list[2].first == 1);
  auto idb0 = options(f, list[1].second + 16, list[2].second);
  CHECK(idb0[2] == "veth1234567");
  CHECK(idb0[3] == "host veth of container web");
  CHECK(idb0[9] == std::string(1, '\x09'));
  CHECK(idb0[11] == std::string(1, '\0') + "icmp");
  auto idb1 = options(f, list[2].second + 16, list[3].second);
  CHECK(idb1[2] == "br-0123456789ab");

  CHECK(list[3].first == 6);
  CHECK(u32(f, list[3].second + 8) == 0);
  CHECK(list[4].first == 6);
  CHECK(u32(f, list[4].second + 8) == 1);
  CHECK(u32(f, list[4].second + 20) == 98);    // captured
  CHECK(u32(f, list[4].second + 24) == 1500);  // on the wire
  CHECK(list[5].first == 5);

  // libpcap reads it back, with the nanoseconds intact.
  const auto path = temp_file("a.pcapng");
  save(path, f);
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  REQUIRE_MESSAGE(p != nullptr, errbuf);
  struct pcap_pkthdr* h;
  const u_char* data;
  REQUIRE(pcap_next_ex(p, &h, &data) == 1);
  CHECK(h->ts.tv_sec == 1'700'000'000);
  CHECK(h->ts.tv_usec == 123'456'789);
  CHECK(h->caplen == 60);
  CHECK(data[0] == 0xaa);
  REQUIRE(pcap_next_ex(p, &h, &data) == 1);
  CHECK(h->len == 1500);
  CHECK(pcap_next_ex(p, &h, &data) == PCAP_ERROR_BREAK);
  pcap_close(p);
  fs::remove(path);
}

TEST_CASE("plain pcap: nanosecond header, records, one link type only") {
  io::string_sink sink;
  pcap_writer w(sink);
  CHECK_THROWS_AS(w.begin({}, {{"a", "", "", 1, 100}, {"b", "", "", 113, 100}}), error);
  w.begin({}, {{"eth0", "", "", 1, 262144}});
  auto a = frame(3, 0x01);  // odd sizes: plain pcap has no padding
  w.write_packet(0, std::chrono::nanoseconds(5'000'000'007LL), a, 3);
  w.flush();
  const std::string& f = sink.str();
  REQUIRE(f.size() == 24 + 16 + 3);
  CHECK(u32(f, 0) == 0xa1b23c4d);
  CHECK(u32(f, 20) == 1);
  CHECK(u32(f, 24) == 5);
  CHECK(u32(f, 28) == 7);
  CHECK(w.record_size(3) == 19);

  const auto path = temp_file("b.pcap");
  save(path, f);
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  REQUIRE_MESSAGE(p != nullptr, errbuf);
  CHECK(pcap_datalink(p) == 1);
  struct pcap_pkthdr* h;
  const u_char* data;
  REQUIRE(pcap_next_ex(p, &h, &data) == 1);
  CHECK(h->ts.tv_usec == 7);
  pcap_close(p);
  fs::remove(path);
}

TEST_CASE("pcapng: record sizes match what is written, long texts are cut to fit") {
  io::string_sink sink;
  pcapng_writer w(sink);
  w.begin({std::string(70000, 'c'), "", "", ""}, {{"x", std::string(70000, 'd'), "", 1, 9000}});
  const auto before = w.bytes();
  for (std::size_t n : {0u, 1u, 2u, 3u, 4u, 5u, 1514u}) {
    const auto start = w.bytes();
    auto d = frame(n, 0);
    w.write_packet(0, std::chrono::nanoseconds(0), d, static_cast<std::uint32_t>(n));
    CHECK(w.bytes() - start == w.record_size(n));
  }
  CHECK(before < 140000);
  w.flush();
  CHECK(blocks(sink.str()).size() == 2 + 7);
}
