// DOCKER_HOST / --host text into an endpoint: refused with errc::invalid_argument or parsed,
// and what is parsed prints.
#include "forensic/engine/endpoint.hpp"

#include "forensic/error.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto e = forensic::engine::endpoint::parse(forensic::fuzz::as_text(data, size));
    (void)e.to_string();
  } catch (const forensic::error&) {
  }
  return 0;
}
