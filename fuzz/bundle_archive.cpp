// A packed bundle (tar or tar.zst) handed to ir-verify: entries are listed and hashed as they
// stream out of libarchive. Throws only forensic::error (an archive it cannot read at all).
#include "forensic/error.hpp"
#include "forensic/evidence/verify.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = forensic::fuzz::scratch_dir() / "bundle.tar";
  forensic::fuzz::write_file(path, forensic::fuzz::as_text(data, size));
  try {
    (void)forensic::evidence::verify_bundle(path).ok();
  } catch (const forensic::error&) {
  }
  return 0;
}
