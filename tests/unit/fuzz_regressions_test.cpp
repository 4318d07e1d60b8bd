// Inputs the fuzz targets (fuzz/) found to break a parser (fuzz/regressions/), checked on every
// unit run as well: the library reports them and throws nothing but forensic::error.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "forensic/analysis/analyzer.hpp"
#include "forensic/evidence/verify.hpp"
#include "forensic/io/sha256.hpp"

namespace fs = std::filesystem;
using namespace forensic;

namespace {

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("ir-verify reports a manifest whose fields have the wrong types, without throwing") {
  std::string t = (fs::temp_directory_path() / "fuzz-regression-XXXXXX").string();
  REQUIRE(::mkdtemp(t.data()) != nullptr);
  const fs::path bundle = t;
  const std::string log = "hello\n";
  const std::string digest = io::sha256::of(log);
  write(bundle / "logs/stdout.log", log);
  // "path" a number, "size" a string, "schema" right: each a tampering, not a crash.
  const std::string manifest =
      R"({"schema":"forensic.bundle/1","artifacts":[{"path":5,"size":"x"},)"
      R"({"path":"logs/stdout.log","size":"6","sha256":")" +
      digest + R"("}]})";
  write(bundle / "manifest.json", manifest);
  write(bundle / "SHA256SUMS",
        digest + "  logs/stdout.log\n" + io::sha256::of(manifest) + "  manifest.json\n");
  evidence::verify_report r;
  REQUIRE_NOTHROW(r = evidence::verify_bundle(bundle));
  CHECK_FALSE(r.ok());
  CHECK(r.modified == std::vector<std::string>{"logs/stdout.log"});

  write(bundle / "manifest.json", R"({"schema":1,"artifacts":[]})");
  REQUIRE_NOTHROW(r = evidence::verify_bundle(bundle));
  CHECK_FALSE(r.ok());
  fs::remove_all(bundle);
}

TEST_CASE("ir-analyze reads a bundle JSON field of unexpected type as absent") {
  std::string t = (fs::temp_directory_path() / "fuzz-regression-XXXXXX").string();
  REQUIRE(::mkdtemp(t.data()) != nullptr);
  const fs::path bundle = t;
  // fuzz/regressions/bundle_json/field-types.bin: strings where booleans and numbers belong.
  write(bundle / "manifest.json", R"({"container":{"id":5}})");
  write(bundle / "processes/processes.json",
        R"({"processes":[{"pid":1,"exe_deleted":"yes","cmdline":["a"]}]})");
  write(bundle / "engine/diff.json", R"([{"Path":"/x","Kind":"1"}])");
  analysis::analysis_report r;
  REQUIRE_NOTHROW(r = analysis::analyze_bundle(bundle));
  // Once a whole part was skipped with a warning; now only the odd field is passed over.
  std::size_t skipped = 0;
  for (const auto& w : r.warnings) skipped += w.find("part skipped") != std::string::npos;
  CHECK(skipped == 0);
  CHECK(r.container_id == "5");
  for (const auto& f : r.findings) CHECK(f.kind != "deleted_executable");
  fs::remove_all(bundle);
}
