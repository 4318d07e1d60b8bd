// The JSON files of a bundle as ir-analyze reads them (a bundle may be tampered with or damaged
// in transit): the input is split at NUL bytes into manifest.json, processes/processes.json,
// network/network.json, engine/diff.json and engine/container-inspect.json.
#include "forensic/analysis/analyzer.hpp"
#include "forensic/error.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static constexpr const char* files[] = {"manifest.json", "processes/processes.json",
                                          "network/network.json", "engine/diff.json",
                                          "engine/container-inspect.json"};
  const std::filesystem::path bundle = forensic::fuzz::scratch_dir() / "json-bundle";
  std::filesystem::remove_all(bundle);
  auto text = forensic::fuzz::as_text(data, size);
  for (const char* name : files) {
    const auto cut = text.find('\0');
    forensic::fuzz::write_file(bundle / name, text.substr(0, cut));
    text = cut == std::string_view::npos ? std::string_view() : text.substr(cut + 1);
  }
  try {
    const auto report = forensic::analysis::analyze_bundle(bundle);
    (void)forensic::fuzz::dump(forensic::analysis::to_json(report));
    (void)forensic::analysis::to_markdown(report);
  } catch (const forensic::error&) {
  }
  return 0;
}
