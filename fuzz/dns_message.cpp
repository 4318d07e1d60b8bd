// One DNS message (a UDP payload, or a TCP stream's first bytes) decoded as on a DNS port and as
// on any other port (where it must look like DNS first), with compression pointers followed
// backwards only: nothing may be read past the payload.
#include "analysis/dns_parse.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> m{data, size};
  (void)forensic::analysis::detail::parse_dns(m, true);
  (void)forensic::analysis::detail::parse_dns(m, false);
  (void)forensic::analysis::detail::plausible_dns_over_tcp(m);
  return 0;
}
