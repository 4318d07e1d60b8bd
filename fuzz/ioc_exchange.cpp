// STIX 2.1 bundles and MISP events from a threat-intelligence feed (docs/ioc-format.md): the
// pattern lexer and the attribute splitting read hostile JSON; what they cannot use becomes an
// error, never an exception. The parsed sets are matched against pieces of the input.
#include "forensic/analysis/ioc.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = forensic::fuzz::as_text(data, size);
  for (const auto& iocs : {forensic::analysis::ioc_set::parse_stix(text),
                           forensic::analysis::ioc_set::parse_misp(text)}) {
    for (const auto& e : iocs.entries()) {
      (void)iocs.match_address(e.value);
      (void)iocs.match_domain(e.value);
      (void)iocs.match_sha256(e.value);
    }
  }
  return 0;
}
