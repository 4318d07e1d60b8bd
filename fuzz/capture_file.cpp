// A capture file (pcap or pcapng) as the analyser reads it: libpcap opens it, the packets are
// decoded by hand (the packets came from a hostile container). Refusal is errc::pcap.
#include "analysis/capture_reader.hpp"
#include "forensic/error.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = forensic::fuzz::scratch_dir() / "capture.pcapng";
  forensic::fuzz::write_file(path, forensic::fuzz::as_text(data, size));
  try {
    (void)forensic::analysis::detail::read_capture(path);
  } catch (const forensic::error&) {
  }
  return 0;
}
