// The container's filesystem export as ir-analyze walks it (libarchive, never extracted): the
// input is filesystem/export.tar of a bundle that also has a diff naming a few paths, and an
// IOC set with a hash so every regular file is read and hashed.
#include <filesystem>

#include "forensic/analysis/analyzer.hpp"
#include "forensic/error.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fs = std::filesystem;
  const fs::path bundle = forensic::fuzz::scratch_dir() / "export-bundle";
  forensic::fuzz::write_file(bundle / "filesystem/export.tar", forensic::fuzz::as_text(data, size));
  forensic::fuzz::write_file(
      bundle / "engine/diff.json",
      R"([{"Path":"/tmp","Kind":0},{"Path":"/tmp/x","Kind":1},)"
      R"({"Path":"/etc/cron.d/job","Kind":1},{"Path":"/var/log/a","Kind":2}])");
  static const auto iocs = forensic::analysis::ioc_set::parse(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 # empty file\n"
      "203.0.113.7\nevil.example\n");
  forensic::analysis::analysis_options options;
  options.iocs = iocs;
  try {
    const auto report = forensic::analysis::analyze_bundle(bundle, options);
    (void)forensic::fuzz::dump(forensic::analysis::to_json(report));
    (void)forensic::analysis::to_markdown(report);
  } catch (const forensic::error&) {
  }
  return 0;
}
