// ir-collect --artifacts memory against the real engine: a marker that only ever lived in a
// shell variable (read from stdin, never written to a file) is in that process's ELF core and
// nowhere in the filesystem export; the core opens with readelf; the container keeps running
// with the same pid, unpaused; --memory-limit leaves mappings out and says so.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/testbed.hpp"

namespace fs = std::filesystem;
using namespace forensic::testing;
using nlohmann::json;

namespace {

std::string pid_of(const testbed& bed, const std::string& name) {
  return trim(bed.docker({"inspect", "-f", "{{.State.Pid}}", name}));
}

const json* process_named(const json& memory, const std::string& command) {
  for (const auto& p : memory["processes"]) {
    if (p.value("command", "") == command) return &p;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("collect memory: a marker held only in a shell variable is in its core" *
          doctest::timeout(180)) {
  REQUIRE(engine_available());
  REQUIRE(::geteuid() == 0);
  testbed bed;
  const std::string name = bed.prefix() + "-mem";
  const std::string marker = "irmem-" + bed.prefix() + "-only-in-memory";
  // The marker reaches the container through its stdin only: `read` keeps it in the shell's
  // memory, and the shell waits on a child (not the last command, so it does not exec it).
  background_process feeder({"/bin/sh", "-c",
                             "(sleep 1; echo " + marker + "; sleep 600) | docker run -i --label " +
                                 bed.label() + " --name " + name + " " + test_image +
                                 " sh -c 'read x; sleep 3600; echo $x'"});
  // The sleep runs once `read` has returned: the marker is then in the shell's variable.
  wait_for(
      [&] {
        // A line of its own ending the command, not the shell's "...; sleep 3600; echo $x".
        return (run({"docker", "top", name}).out + "\n").find(" sleep 3600\n") != std::string::npos;
      },
      "the shell to read its stdin", 30);
  const std::string pid_before = pid_of(bed, name);

  temp_dir out;
  auto r = run_tool("ir-collect", {name, "--out", out.path.string(), "--case", "IT-MEM",
                                   "--artifacts", "memory,export", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const fs::path bundle = json::parse(r.out)["bundle"].get<std::string>();
  const json memory = json::parse(slurp(bundle / "memory/memory.json"));
  CHECK(memory["collected"] == true);
  CHECK(memory["limit_reached"] == false);
  REQUIRE(memory["processes"].size() >= 2);  // the shell and its sleep
  const json* shell = process_named(memory, "sh");
  REQUIRE(shell);
  const fs::path core = bundle / (*shell)["core"].get<std::string>();
  CHECK(core.filename() == std::to_string((*shell)["pid"].get<int>()) + ".core");
  CHECK((*shell)["found_by"][0] == "cgroup");

  // In the shell's memory, and nowhere in what the engine exports.
  CHECK(slurp(core).find(marker) != std::string::npos);
  const std::string exported = slurp(bundle / "filesystem/export.tar");
  REQUIRE(!exported.empty());
  CHECK(exported.find(marker) == std::string::npos);

  // readelf reads it as a core: a PT_NOTE and a PT_LOAD per mapping, and the notes gdb needs.
  auto elf = run({"readelf", "-l", "-n", core.string()});
  INFO(elf.err);
  CHECK(elf.exit_code == 0);
  CHECK(elf.out.find("Elf file type is CORE") != std::string::npos);
  CHECK(elf.out.find("NOTE") != std::string::npos);
  CHECK(elf.out.find("LOAD") != std::string::npos);
  CHECK(elf.out.find("NT_PRSTATUS") != std::string::npos);
  CHECK(elf.out.find("NT_PRPSINFO") != std::string::npos);
  CHECK(elf.out.find("NT_FILE") != std::string::npos);
  std::size_t loads = 0;
  for (auto at = elf.out.find("  LOAD"); at != std::string::npos;
       at = elf.out.find("  LOAD", at + 1))
    ++loads;
  CHECK(loads == (*shell)["mappings"].size());

  // Mappings that cannot be read are listed with the reason, not fatal.
  bool skipped_with_reason = false;
  for (const auto& m : (*shell)["mappings"]) {
    if (m["read"] == false) skipped_with_reason |= !m.value("skipped", "").empty();
  }
  CHECK(skipped_with_reason);

  // Hashed like every artifact; the bundle verifies; ir-analyze lists the artifact.
  CHECK(slurp(bundle / "SHA256SUMS").find((*shell)["sha256"].get<std::string>()) !=
        std::string::npos);
  CHECK(run_tool("ir-verify", {bundle.string()}).exit_code == 0);
  auto a = run_tool("ir-analyze", {bundle.string(), "--json"});
  REQUIRE(a.exit_code <= 1);
  bool covered = false;
  const json report = json::parse(a.out);
  for (const auto& e : report["coverage"]) {
    if (e["artifact"] == "memory") {
      covered = e["status"] == "present";
      CHECK(std::find(e["files"].begin(), e["files"].end(), "memory/memory.json") !=
            e["files"].end());
    }
  }
  CHECK(covered);

  // Frozen while read, then thawed; still the same process.
  const json manifest = json::parse(slurp(bundle / "manifest.json"));
  CHECK(manifest["pause_record"]["paused_by"] == "this collection");
  CHECK(state_of(bed, name) == "true false\n");
  CHECK(pid_of(bed, name) == pid_before);

  {  // --memory-limit leaves mappings out, notes it, and fails the artifact
    temp_dir capped;
    auto c = run_tool("ir-collect", {name, "--out", capped.path.string(), "--case", "IT-MEMCAP",
                                     "--artifacts", "memory", "--memory-limit", "1", "--json"});
    CHECK(c.exit_code == 1);
    const fs::path b = json::parse(c.out)["bundle"].get<std::string>();
    const json m = json::parse(slurp(b / "memory/memory.json"));
    CHECK(m["limit_reached"] == true);
    CHECK(m["memory_bytes"].get<std::uint64_t>() <= (1u << 20));
    bool limited = false;
    for (const auto& p : m["processes"]) {
      for (const auto& map : p["mappings"])
        limited |= map.value("skipped", "") == "memory limit reached";
    }
    CHECK(limited);
    CHECK(slurp(b / "custody.jsonl").find("--memory-limit") != std::string::npos);
    const json man = json::parse(slurp(b / "manifest.json"));
    REQUIRE(man["failures"].size() == 1);
    CHECK(man["failures"][0]["artifact"] == "memory");
    CHECK(run_tool("ir-verify", {b.string()}).exit_code == 0);
    CHECK(state_of(bed, name) == "true false\n");
  }
}
