// The engine's multiplexed log stream, cut into pieces at places the input chooses (a header
// may arrive split across reads): the demultiplexer must accept any split, or refuse with
// errc::protocol, and never hand out more payload than it was given.
#include <cstdlib>

#include "forensic/engine/logs.hpp"
#include "forensic/error.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // First byte: the piece size (1..256) the stream is delivered in.
  const std::size_t piece = static_cast<std::size_t>(data[0]) + 1;
  const auto* bytes = reinterpret_cast<const std::byte*>(data + 1);
  const std::size_t total = size - 1;
  forensic::io::counting_sink out, err;
  forensic::engine::log_demuxer demux(&out, &err);
  try {
    for (std::size_t at = 0; at < total; at += piece) {
      demux.write({bytes + at, std::min(piece, total - at)});
    }
    demux.finish();
  } catch (const forensic::error&) {
  }
  if (out.count() + err.count() > total) std::abort();
  if (out.count() != demux.stdout_bytes() || err.count() != demux.stderr_bytes()) std::abort();
  return 0;
}
