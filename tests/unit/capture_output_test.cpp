// The files of a capture: rotation names, .partial then rename, sha256sum sidecars that match
// the bytes, the total cap, refusal to overwrite, the free-space guard at start, and the
// filter helpers. No root, no interface: packets are fed straight to the output.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "capture/output.hpp"
#include "forensic/error.hpp"
#include "forensic/io/sha256.hpp"
#include "net/bridge_naming.hpp"

using namespace forensic;
using namespace forensic::capture;
namespace fs = std::filesystem;

namespace {

struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("capture-output-" + std::to_string(::getpid()) +
                                               "-" + std::to_string(counter()++));
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() { fs::remove_all(path); }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<interface_description> one_interface() { return {{"veth0", "test", "", 1, 65535}}; }

detail::output_settings settings_for(const fs::path& out) {
  detail::output_settings s;
  s.output = out;
  s.min_free_bytes = 0;
  return s;
}

}  // namespace

TEST_CASE("one file: written as .partial, renamed, hashed, sidecar in sha256sum format") {
  temp_dir d;
  const auto out = d.path / "x.pcapng";
  std::vector<capture_file> seen;
  auto s = settings_for(out);
  s.on_file = [&](const capture_file& f) { seen.push_back(f); };
  detail::capture_output o(s, one_interface());
  CHECK(fs::exists(out.string() + ".partial"));
  CHECK_FALSE(fs::exists(out));
  std::vector<std::byte> pkt(100, std::byte{1});
  for (int i = 0; i < 10; ++i) CHECK_FALSE(o.write(0, std::chrono::nanoseconds(i), pkt, 100));
  auto files = o.finish({interface_counters{}});
  REQUIRE(files.size() == 1);
  REQUIRE(seen.size() == 1);
  CHECK(files[0].path == out);
  CHECK(files[0].packets == 10);
  CHECK(files[0].bytes == fs::file_size(out));
  CHECK(files[0].sha256 == io::sha256_file(out));
  CHECK(read_text(out.string() + ".sha256") == files[0].sha256 + "  x.pcapng\n");
  CHECK_FALSE(fs::exists(out.string() + ".partial"));
  CHECK((fs::status(out).permissions() & fs::perms::others_read) == fs::perms::none);
}

TEST_CASE("rotation by size: numbered files, each complete and hashed") {
  temp_dir d;
  auto s = settings_for(d.path / "r.pcapng");
  s.rotate_bytes = 1000;
  detail::capture_output o(s, one_interface());
  std::vector<std::byte> pkt(200, std::byte{2});
  for (int i = 0; i < 20; ++i) CHECK_FALSE(o.write(0, std::chrono::nanoseconds(i), pkt, 200));
  auto files = o.finish({interface_counters{}});
  REQUIRE(files.size() > 3);
  CHECK(files[0].path.filename() == "r-00001.pcapng");
  CHECK(files[1].path.filename() == "r-00002.pcapng");
  std::uint64_t packets = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    packets += files[i].packets;
    CHECK(files[i].sha256 == io::sha256_file(files[i].path));
    // Every file but the last (which carries the statistics block) respects the size.
    if (i + 1 < files.size()) CHECK(files[i].bytes <= 1000);
  }
  CHECK(packets == 20);
}

TEST_CASE("total cap: stops before exceeding, the file stays complete") {
  temp_dir d;
  auto s = settings_for(d.path / "c.pcapng");
  s.rotate_bytes = 2000;
  s.max_total_bytes = 5000;
  detail::capture_output o(s, one_interface());
  std::vector<std::byte> pkt(300, std::byte{3});
  std::optional<detail::output_stop> stop;
  int written = 0;
  for (int i = 0; i < 100 && !stop; ++i) {
    stop = o.write(0, std::chrono::nanoseconds(i), pkt, 300);
    if (!stop) ++written;
  }
  REQUIRE(stop);
  CHECK(stop->reason == stop_reason::total_bytes_cap);
  auto files = o.finish({interface_counters{}});
  std::uint64_t total = 0, packets = 0;
  for (const auto& f : files) {
    total += f.bytes;
    packets += f.packets;
  }
  CHECK(total <= 5000);
  CHECK(packets == static_cast<std::uint64_t>(written));
}

TEST_CASE("existing output, missing folder, too little space: refused before capturing") {
  temp_dir d;
  const auto out = d.path / "e.pcapng";
  std::ofstream(out) << "old evidence";
  try {
    detail::capture_output o(settings_for(out), one_interface());
    FAIL("an existing file was accepted");
  } catch (const error& e) {
    CHECK(e.kind() == errc::invalid_argument);
    CHECK(std::string(e.what()).find("refusing to overwrite") != std::string::npos);
  }
  CHECK(read_text(out) == "old evidence");
  CHECK_THROWS_AS(detail::capture_output(settings_for(d.path / "no" / "x.pcapng"), one_interface()),
                  error);
  auto s = settings_for(d.path / "f.pcapng");
  s.min_free_bytes = std::uint64_t{1} << 62;
  try {
    detail::capture_output o(s, one_interface());
    FAIL("the free-space guard let it start");
  } catch (const error& e) {
    CHECK(e.kind() == errc::no_space);
  }
  CHECK_FALSE(fs::exists(d.path / "f.pcapng.partial"));
}

TEST_CASE("plain pcap: same link types merge, mixed ones are refused with a clear message") {
  temp_dir d;
  auto s = settings_for(d.path / "p.pcap");
  s.format = output_format::pcap;
  {
    detail::capture_output o(s, {{"a", "", "", 1, 100}, {"b", "", "", 1, 100}});
    std::vector<std::byte> pkt(10, std::byte{4});
    CHECK_FALSE(o.write(1, std::chrono::nanoseconds(1), pkt, 10));
    CHECK(o.finish({}).at(0).packets == 1);
  }
  auto s2 = settings_for(d.path / "q.pcap");
  s2.format = output_format::pcap;
  try {
    detail::capture_output o(s2, {{"docker0", "", "", 1, 100}, {"any", "", "", 276, 100}});
    FAIL("mixed link types accepted");
  } catch (const error& e) {
    CHECK(e.kind() == errc::invalid_argument);
    CHECK(std::string(e.what()).find("pcapng") != std::string::npos);
  }
}

TEST_CASE("build_filter: --peer and --port shortcuts, nothing smuggled") {
  CHECK(build_filter("", {}, {}) == "");
  CHECK(build_filter("icmp", {}, {}) == "icmp");
  CHECK(build_filter("", {"172.18.0.3"}, {}) == "host 172.18.0.3");
  CHECK(build_filter("tcp", {"172.18.0.3", "fd00::3"}, {443, 80}) ==
        "(host 172.18.0.3 or host fd00::3) and (port 443 or port 80) and (tcp)");
  CHECK(build_filter("", {"10.0.0.0/8"}, {}) == "net 10.0.0.0/8");
  CHECK_THROWS_AS(build_filter("", {"198.51.100.4 or port 22"}, {}), error);
  CHECK_THROWS_AS(build_filter("", {"10.0.0.0/33"}, {}), error);
  CHECK_THROWS_AS(build_filter("", {"example.com"}, {}), error);
  CHECK_THROWS_AS(build_filter("", {}, {0}), error);
  CHECK_THROWS_AS(build_filter("", {}, {65536}), error);
  CHECK_NOTHROW(check_filter(build_filter("tcp", {"172.18.0.3", "fd00::3"}, {443})));
  try {
    check_filter("host and");
    FAIL("bad filter accepted");
  } catch (const error& e) {
    CHECK(e.kind() == errc::invalid_argument);
  }
}

TEST_CASE("bridge names follow the engine's rule (recorded /networks of a real engine)") {
  std::ifstream in(std::string(FORENSIC_FIXTURES_DIR) + "/capture/networks.json");
  REQUIRE(in);
  const auto list = nlohmann::json::parse(in);
  std::map<std::string, std::string> by_name;
  for (const auto& n : list) by_name[n["Name"]] = net::detail::bridge_name_of(n);
  CHECK(by_name.at("bridge") == "docker0");
  CHECK(by_name.at("ircapfix-custom") == "ircapfix-br");
  const auto plain = by_name.at("ircapfix-plain");
  CHECK(plain.rfind("br-", 0) == 0);
  CHECK(plain.size() == 15);
}

TEST_CASE("to_json: the documented shape") {
  capture_result r;
  r.reason = stop_reason::duration;
  r.message = "duration of 1 s elapsed";
  r.files.push_back({"/tmp/x.pcapng", "/tmp/x.pcapng.sha256", std::string(64, 'a'), 100, 2});
  r.started = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795424400123));
  interface_stats veth;
  veth.name = "veth0";
  veth.description = "host veth of container web";
  veth.link_type = 1;
  veth.link_type_name = "EN10MB";
  veth.captured = 2;
  veth.received = 3;
  veth.dropped_by_kernel = 1;
  veth.joined = r.started;
  r.interfaces.push_back(veth);
  // Joined later through the shared socket, gone before the end, its drops not attributable.
  interface_stats late = veth;
  late.name = "br-1a2b3c4d5e6f";
  late.joined = r.started + std::chrono::seconds(2);
  late.left = r.started + std::chrono::seconds(3);
  late.vanished = true;
  late.shared_socket = true;
  late.dropped_by_kernel = 0;
  late.dropped_by_kernel_known = false;
  r.interfaces.push_back(late);
  r.following = true;
  r.shared_socket = shared_socket_stats{1, 10, 4};
  r.not_added.push_back({"veth9", "host veth of container db",
                         "it went away before it could be added",
                         r.started + std::chrono::seconds(1)});
  const auto j = to_json(r);
  CHECK(j["schema"] == "forensic.capture/1");
  CHECK(j["stop_reason"] == "duration");
  CHECK(j["files"][0]["sha256"] == std::string(64, 'a'));
  CHECK(j["interfaces"][0]["dropped_by_kernel"] == 1);
  CHECK(j["interfaces"][0]["received"] == 3);
  CHECK(j["interfaces"][0]["joined"] == "2026-11-23T09:00:00.123Z");
  CHECK(j["interfaces"][0]["left"].is_null());
  CHECK(j["interfaces"][0]["socket"] == "own");
  CHECK(j["interfaces"][1]["joined"] == "2026-11-23T09:00:02.123Z");
  CHECK(j["interfaces"][1]["left"] == "2026-11-23T09:00:03.123Z");
  CHECK(j["interfaces"][1]["socket"] == "shared");
  CHECK(j["interfaces"][1]["dropped_by_kernel"].is_null());
  CHECK(j["following"] == true);
  CHECK(j["shared_socket"]["dropped_by_kernel"] == 4);
  REQUIRE(j["not_added"].size() == 1);
  CHECK(j["not_added"][0]["name"] == "veth9");
  CHECK(j["not_added"][0]["at"] == "2026-11-23T09:00:01.123Z");
  CHECK(std::string(stop_reason_name(stop_reason::disk_space)) == "disk_space");
}

TEST_CASE("to_json: libpcap's activation warnings only when there are some") {
  capture_result r;
  r.started = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795424400123));
  r.finished = r.started + std::chrono::microseconds(4101999);
  auto j = to_json(r);
  CHECK_FALSE(j.contains("warnings"));
  CHECK(j["started"] == "2026-11-23T09:00:00.123Z");
  CHECK(j["finished"] == "2026-11-23T09:00:04.224Z");
  r.warnings.push_back("promiscuous mode not supported on eth0: no");
  j = to_json(r);
  REQUIRE(j["warnings"].size() == 1);
  CHECK(j["warnings"][0] == "promiscuous mode not supported on eth0: no");
}
