// YARA over a bundle (forensic/analysis/yara.hpp): rules compiled from a file or a directory,
// compiler errors reported with their line, matches in tar members (with the member cap) and
// in a process memory core, whose offset is translated to the process's address.
#include <doctest/doctest.h>
#include <elf.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "forensic/analysis/analyzer.hpp"
#include "forensic/analysis/yara.hpp"
#include "forensic/error.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"

namespace fs = std::filesystem;
using namespace forensic;
using forensic::testing::temp_dir;

namespace {

void write(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

constexpr const char* rule_text =
    "rule implant_marker : implant linux {\n"
    "  strings: $m = \"IR-YARA-MARKER-7f3a\"\n"
    "  condition: $m\n"
    "}\n";

// A minimal ELF core: the header, one PT_LOAD at `vaddr` holding `segment`.
std::string elf_core(std::uint64_t vaddr, const std::string& segment) {
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_CORE;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_phoff = sizeof eh;
  eh.e_ehsize = sizeof eh;
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 1;
  Elf64_Phdr ph{};
  ph.p_type = PT_LOAD;
  ph.p_offset = 4096;
  ph.p_vaddr = vaddr;
  ph.p_filesz = ph.p_memsz = segment.size();
  ph.p_flags = PF_R | PF_W;
  std::string out(reinterpret_cast<const char*>(&eh), sizeof eh);
  out.append(reinterpret_cast<const char*>(&ph), sizeof ph);
  out.resize(4096, '\0');
  return out + segment;
}

}  // namespace

TEST_CASE("YARA rules: a file, a directory, and compiler errors with their line") {
  temp_dir dir("yara-rules");
  write(dir.path / "a.yar", rule_text);
  write(dir.path / "b.yara", "rule other { condition: filesize > 1000000000 }\n");
  write(dir.path / "notes.txt", "not a rule");
  const auto one = analysis::yara_rules::compile(dir.path / "a.yar");
  CHECK(one.rule_count() == 1);
  const auto both = analysis::yara_rules::compile(dir.path);
  CHECK(both.rule_count() == 2);
  CHECK(both.sources().size() == 2);
  const std::string data = "xxxxIR-YARA-MARKER-7f3a";
  const auto hits = both.scan(std::as_bytes(std::span(data.data(), data.size())));
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].rule == "implant_marker");
  CHECK(hits[0].tags == std::vector<std::string>{"implant", "linux"});
  CHECK(hits[0].offset == 4);
  CHECK(hits[0].string_id == "$m");

  write(dir.path / "bad" / "c.yar", "rule ok { condition: true }\nrule broken { condition: $x }\n");
  try {
    (void)analysis::yara_rules::compile(dir.path / "bad" / "c.yar");
    FAIL("a broken rule compiled");
  } catch (const forensic::error& e) {
    CHECK(e.code() == forensic::errc::parse);
    CHECK(std::string(e.what()).find("c.yar:2") != std::string::npos);
  }
  fs::create_directories(dir.path / "empty");
  CHECK_THROWS_AS((void)analysis::yara_rules::compile(dir.path / "empty"), forensic::error);
}

TEST_CASE("ir-analyze --yara: a file in the export and a mount tar, a region of a memory core") {
  temp_dir bundle("yara-bundle");
  temp_dir src("yara-src");
  write(src.path / "tmp/implant", std::string("\x7f"
                                              "ELF....IR-YARA-MARKER-7f3a...."));
  write(src.path / "tmp/big", std::string(5000, 'a') + "IR-YARA-MARKER-7f3a");
  write(src.path / "etc/clean", "nothing here\n");
  fs::create_directories(bundle.path / "filesystem");
  fs::create_directories(bundle.path / "mounts");
  REQUIRE(testing::run({"tar", "-C", src.path.string(), "-cf",
                        (bundle.path / "filesystem/export.tar").string(), "tmp", "etc"})
              .exit_code == 0);
  REQUIRE(testing::run({"tar", "-C", src.path.string(), "-cf",
                        (bundle.path / "mounts/3-dev_shm.tar").string(), "tmp/implant"})
              .exit_code == 0);
  write(bundle.path / "memory/42.core",
        elf_core(0x7f0000001000, std::string(0x20, '\0') + "IR-YARA-MARKER-7f3a"));
  write(bundle.path / "rules.yar", rule_text);

  analysis::analysis_options o;
  o.yara = std::make_shared<const analysis::yara_rules>(
      analysis::yara_rules::compile(bundle.path / "rules.yar"));
  o.yara_member_cap = 4096;  // tmp/big's marker lies beyond it
  const auto r = analysis::analyze_bundle(bundle.path, o);
  std::vector<nlohmann::json> hits;
  for (const auto& f : r.findings) {
    if (f.kind == "yara_match") hits.push_back(f.details);
  }
  REQUIRE(hits.size() == 3);
  auto by_artifact = [&](const std::string& artifact) -> const nlohmann::json* {
    for (const auto& h : hits) {
      if (h["artifact"] == artifact) return &h;
    }
    return nullptr;
  };
  const auto* in_export = by_artifact("filesystem/export.tar");
  REQUIRE(in_export != nullptr);
  CHECK((*in_export)["path"] == "/tmp/implant");
  CHECK((*in_export)["rule"] == "implant_marker");
  CHECK((*in_export)["tags"] == nlohmann::json{"implant", "linux"});
  CHECK((*in_export)["offset"] == 8);
  REQUIRE(by_artifact("mounts/3-dev_shm.tar") != nullptr);
  const auto* in_core = by_artifact("memory/42.core");
  REQUIRE(in_core != nullptr);
  CHECK((*in_core)["offset"] == 4096 + 0x20);
  CHECK((*in_core)["address"] == "0x7f0000001020");
  CHECK(r.yara["members_truncated"] == 1);
  CHECK(r.yara["cores_scanned"] == 1);
  CHECK(r.yara["matches"] == 3);
  bool noted = false;
  for (const auto& w : r.warnings)
    noted |= w.find("/tmp/big: only its first 4096") != std::string::npos;
  CHECK(noted);
}
