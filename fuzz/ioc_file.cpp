// The analyst's IOC file (docs/ioc-format.md), possibly pasted from a feed: unreadable lines
// become errors, never exceptions. The parsed set is then matched against pieces of the input.
#include "forensic/analysis/ioc.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = forensic::fuzz::as_text(data, size);
  const auto iocs = forensic::analysis::ioc_set::parse(text);
  (void)iocs.has_hashes();
  // Every line of the input doubles as a thing seen in the bundle.
  for (std::size_t at = 0; at < text.size();) {
    auto nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    const auto line = text.substr(at, nl - at);
    (void)iocs.match_address(line);
    (void)iocs.match_domain(line);
    (void)iocs.match_sha256(line);
    at = nl + 1;
  }
  return 0;
}
