// The log demultiplexer: every split of a real recorded engine stream gives the same two
// streams, truncation and non-frame input are reported.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "forensic/engine/logs.hpp"
#include "forensic/error.hpp"

using forensic::engine::log_demuxer;
using forensic::io::as_bytes;
using forensic::io::string_sink;

namespace {

std::string fixture(const char* name) {
  std::ifstream in(std::string(FORENSIC_FIXTURES_DIR) + "/evidence/" + name, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::string frame(int stream, const std::string& payload) {
  std::string h(8, '\0');
  h[0] = static_cast<char>(stream);
  const auto n = static_cast<std::uint32_t>(payload.size());
  h[4] = static_cast<char>(n >> 24);
  h[5] = static_cast<char>(n >> 16);
  h[6] = static_cast<char>(n >> 8);
  h[7] = static_cast<char>(n);
  return h + payload;
}

struct split_result {
  std::string out, err;
};

split_result demux(const std::string& stream, std::size_t cut1, std::size_t cut2) {
  string_sink out, err;
  log_demuxer d(&out, &err);
  d.write(as_bytes(std::string_view(stream).substr(0, cut1)));
  d.write(as_bytes(std::string_view(stream).substr(cut1, cut2 - cut1)));
  d.write(as_bytes(std::string_view(stream).substr(cut2)));
  d.finish();
  return {out.take(), err.take()};
}

}  // namespace

TEST_CASE("logs: a recorded engine stream splits into stdout and stderr with timestamps") {
  const std::string stream = fixture("logs_multiplexed.bin");
  auto whole = demux(stream, stream.size(), stream.size());
  CHECK(whole.out.find("Z out1\n") != std::string::npos);
  CHECK(whole.out.find(std::string(70, 'x')) != std::string::npos);
  CHECK(whole.err.find("Z err1\n") != std::string::npos);
  CHECK(whole.err.find("Z err2\n") != std::string::npos);
  CHECK(whole.out.find("err") == std::string::npos);
  CHECK(whole.out.rfind("2026-", 0) == 0);  // every line keeps its engine timestamp
}

TEST_CASE("logs: every pair of split positions gives the same result") {
  const std::string stream = fixture("logs_multiplexed.bin");
  const auto expected = demux(stream, stream.size(), stream.size());
  for (std::size_t a = 0; a <= stream.size(); ++a) {
    for (std::size_t b = a; b <= stream.size(); ++b) {
      auto got = demux(stream, a, b);
      if (got.out != expected.out || got.err != expected.err) {
        FAIL("split at " << a << "," << b << " differs");
      }
    }
  }
}

TEST_CASE("logs: byte-by-byte feeding, empty frames and stdin frames") {
  const std::string stream = frame(1, "a\n") + frame(2, "") + frame(0, "b\n") + frame(2, "e\n");
  string_sink out, err;
  log_demuxer d(&out, &err);
  for (char c : stream) d.write(as_bytes(std::string_view(&c, 1)));
  d.finish();
  CHECK(out.str() == "a\nb\n");
  CHECK(err.str() == "e\n");
  CHECK(d.frames() == 4);
}

TEST_CASE("logs: truncated streams and raw TTY text are errors, not silent loss") {
  const std::string stream = frame(1, "hello\n");
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    log_demuxer d(nullptr, nullptr);
    d.write(as_bytes(std::string_view(stream).substr(0, cut)));
    CHECK_THROWS_AS(d.finish(), forensic::error);
  }
  log_demuxer d(nullptr, nullptr);
  CHECK_THROWS_AS(d.write(as_bytes("2026-11-23T09:00:00Z raw tty line\n")), forensic::error);
}
