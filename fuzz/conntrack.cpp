// /proc/net/nf_conntrack text (the fallback when ctnetlink is refused). Never throws.
#include "forensic/net/conntrack.hpp"

#include <nlohmann/json.hpp>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::size_t skipped = 0;
  const auto flows =
      forensic::net::parse_nf_conntrack(forensic::fuzz::as_text(data, size), &skipped);
  for (const auto& f : flows) {
    (void)f.nat();
    (void)forensic::fuzz::dump(forensic::net::to_json(f));
  }
  return 0;
}
