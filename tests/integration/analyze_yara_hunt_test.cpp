// A collected bundle analysed with the newer sources: a YARA rule hitting a file of the export,
// the same IOC hits from the text format, a STIX 2.1 bundle and a MISP event, and the hunt
// artifact (a process nsenter'd into the container from the host) turned into a finding.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/testbed.hpp"

namespace fs = std::filesystem;
using namespace forensic::testing;
using nlohmann::json;

namespace {

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

json analyze(const fs::path& bundle, const std::vector<std::string>& extra) {
  std::vector<std::string> args{bundle.string(), "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = run_tool("ir-analyze", args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

std::set<std::string> ioc_hits(const json& report) {
  std::set<std::string> out;
  for (const auto& f : report["findings"]) {
    if (f["kind"] != "ioc_match") continue;
    out.insert(f["details"]["type"].get<std::string>() + " " +
               f["details"]["indicator"].get<std::string>() + " @ " +
               f["details"]["where"].get<std::string>() + " in " + f["source"].get<std::string>());
  }
  return out;
}

}  // namespace

TEST_CASE("ir-analyze: YARA, STIX and MISP indicators, and the hunt artifact on a real bundle" *
          doctest::timeout(120)) {
  REQUIRE(engine_available());
  testbed bed;
  const auto name = bed.container(
      "yara", {"--network", "none"},
      {"sh", "-c",
       "echo 'IR-YARA-MARKER-7f3a beacon to evil.example' > /tmp/payload; touch /tmp/ready; "
       "exec sleep 3600"});
  wait_for_marker(bed, name, "/tmp/ready", "the payload");
  const std::string pid = trim(bed.docker({"inspect", "-f", "{{.State.Pid}}", name}));
  // A shell entered from the host: in the container's namespaces, in the host's cgroup.
  background_process entered({"nsenter", "-t", pid, "-n", "-m", "-u", "-i", "sleep", "300"});
  wait_for(
      [&] {
        return sh("readlink /proc/" + std::to_string(entered.pid()) + "/ns/mnt").out ==
               sh("readlink /proc/" + pid + "/ns/mnt").out;
      },
      "nsenter", 10);
  temp_dir out;
  auto r = run_tool("ir-collect", {name, "--out", out.path.string(), "--artifacts",
                                   "inspect,diff,export,hunt", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const fs::path bundle = json::parse(r.out)["bundle"].get<std::string>();
  REQUIRE(fs::is_regular_file(bundle / "hunt/hunt.json"));

  // YARA: the rule names the file it hit inside the export.
  temp_dir rules;
  write(rules.path / "marker.yar",
        "rule ir_marker : implant { strings: $m = \"IR-YARA-MARKER-7f3a\" condition: $m }\n");
  const json yara = analyze(bundle, {"--yara", (rules.path / "marker.yar").string()});
  const json* hit = nullptr;
  for (const auto& f : yara["findings"]) {
    if (f["kind"] == "yara_match" && f["details"]["path"] == "/tmp/payload") hit = &f;
  }
  REQUIRE(hit != nullptr);
  CHECK((*hit)["source"] == "filesystem/export.tar");
  CHECK((*hit)["details"]["rule"] == "ir_marker");
  CHECK((*hit)["details"]["tags"] == json{"implant"});
  CHECK((*hit)["details"]["offset"] == 0);
  CHECK(yara["yara"]["matches"].get<int>() >= 1);

  // The hunt artifact: the nsenter'd sleep, as the analysis reports it.
  bool entered_found = false;
  for (const auto& f : yara["findings"]) {
    if (f["kind"] != "hunt_entered_from_outside") continue;
    for (const auto& p : f["details"]["pids"]) entered_found |= p == entered.pid();
  }
  CHECK(entered_found);

  // The same indicators in three formats give the same hits.
  const std::string digest = trim(sh("tar -xOf '" + (bundle / "filesystem/export.tar").string() +
                                     "' tmp/payload | sha256sum | cut -d' ' -f1")
                                      .out);
  REQUIRE(digest.size() == 64);
  write(rules.path / "iocs.txt", "sha256 " + digest + "  # payload\ndomain evil.example\n");
  write(
      rules.path / "iocs.stix.json",
      R"({"type":"bundle","id":"bundle--1","objects":[)"
      R"({"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[file:hashes.'SHA-256' = ')" +
          digest +
          R"(']"},{"type":"indicator","id":"indicator--2","pattern":"[domain-name:value = 'evil.example']"}]})");
  write(rules.path / "iocs.misp.json",
        R"({"Event":{"info":"t","Attribute":[{"type":"sha256","value":")" + digest +
            R"("},{"type":"domain","value":"evil.example"}]}})");
  const auto text = ioc_hits(analyze(bundle, {"--ioc", (rules.path / "iocs.txt").string()}));
  const auto stix = ioc_hits(analyze(bundle, {"--ioc", (rules.path / "iocs.stix.json").string()}));
  const auto misp = ioc_hits(analyze(bundle, {"--ioc", (rules.path / "iocs.misp.json").string()}));
  CHECK(text.size() >= 2);
  CHECK(stix == text);
  CHECK(misp == text);
}
