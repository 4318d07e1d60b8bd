// One DNS message (a UDP payload from a captured packet), decoded with compression pointers
// followed under a hop limit: nothing may be read past the payload.
#include "analysis/dns_parse.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)forensic::analysis::detail::parse_dns({data, size});
  return 0;
}
