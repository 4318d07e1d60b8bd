// What ir-verify reads to judge a bundle: manifest.json and SHA256SUMS, both shaped by whoever
// had the bundle. The input is split at the first NUL byte into manifest.json and SHA256SUMS;
// verify_bundle reports what it finds wrong and throws only forensic::error.
#include <cstring>
#include <filesystem>

#include "forensic/error.hpp"
#include "forensic/evidence/bundle.hpp"
#include "forensic/evidence/verify.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fs = std::filesystem;
  const auto text = forensic::fuzz::as_text(data, size);
  const auto cut = text.find('\0');
  const auto manifest = text.substr(0, cut);
  const auto sums = cut == std::string_view::npos ? std::string_view() : text.substr(cut + 1);
  try {
    (void)forensic::evidence::parse_sha256sums(sums);
  } catch (const forensic::error&) {
  }
  const fs::path bundle = forensic::fuzz::scratch_dir() / "manifest-bundle";
  forensic::fuzz::write_file(bundle / "manifest.json", manifest);
  forensic::fuzz::write_file(bundle / "SHA256SUMS", sums);
  forensic::fuzz::write_file(bundle / "logs/stdout.log", "hello\n");
  try {
    const auto report = forensic::evidence::verify_bundle(bundle);
    (void)report.ok();
  } catch (const forensic::error&) {
  }
  return 0;
}
