// ir-collect against the real engine: what `docker export` leaves out (/dev/shm, a --tmpfs
// mount, a named volume, a bind mount) is in the bundle's mounts/ tars, bind mounts of host
// system paths are listed and not copied unless asked, and the bodyfile holds the MAC times
// from before anything was read (an access time set to 2020 inside the container survives).
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/testbed.hpp"

namespace fs = std::filesystem;
using namespace forensic::testing;

namespace {

// A named volume for one test, removed at the end (after the testbed removed its containers:
// declare it first).
struct named_volume {
  std::string name;
  explicit named_volume(std::string n) : name(std::move(n)) {
    REQUIRE(
        run({"docker", "volume", "create", "--label", "forensic.test=" + name, name}).exit_code ==
        0);
  }
  ~named_volume() { run({"docker", "volume", "rm", "-f", name}); }
};

// mounts/mounts.json entries by destination.
std::map<std::string, nlohmann::json> mounts_of(const fs::path& bundle) {
  const auto doc = nlohmann::json::parse(slurp(bundle / "mounts/mounts.json"));
  std::map<std::string, nlohmann::json> out;
  for (const auto& m : doc["mounts"]) out[m["destination"].get<std::string>()] = m;
  return out;
}

// The bodyfile's fields by name.
std::map<std::string, std::vector<std::string>> bodyfile_of(const fs::path& bundle) {
  std::map<std::string, std::vector<std::string>> out;
  std::istringstream in(slurp(bundle / "filesystem/bodyfile.txt"));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::stringstream f(line);
    for (std::string field; std::getline(f, field, '|');) fields.push_back(field);
    if (fields.size() == 11) out[fields[1]] = fields;
  }
  return out;
}

std::string member(const fs::path& tar, const std::string& name) {
  auto r = run({"tar", "-xOf", tar.string(), name});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  return r.out;
}

}  // namespace

TEST_CASE("collect: mounts the export leaves out are in mounts/, MAC times from before reads" *
          doctest::timeout(180)) {
  if (!engine_available()) return;
  temp_dir host_dir("bind-source");
  std::ofstream(host_dir.path / "b") << "bind\n";
  named_volume volume("irt-vol-" + std::to_string(::getpid()));
  testbed bed;
  const auto name = bed.container(
      "mounts",
      {"--network", "none", "--tmpfs", "/scratch", "-v", volume.name + ":/data", "-v",
       host_dir.path.string() + ":/mnt/bind", "-v", "/etc/hostname:/host-hostname:ro"},
      {"sh", "-c",
       "echo layer > /old; touch -a -d '2020-01-01 00:00:00' /old; echo shm > /dev/shm/s; "
       "echo tmp > /scratch/t; echo vol > /data/v; touch /ready; exec sleep 3600"});
  wait_for_marker(bed, name, "/ready", "the files");
  temp_dir out;
  auto r = run_tool("ir-collect", {name, "--out", out.path.string(), "--case", "MNT", "--json",
                                   "--remove-image"});
  INFO(r.err);
  REQUIRE((r.exit_code == 0 || r.exit_code == 1));
  const auto result = nlohmann::json::parse(r.out);
  for (const auto& f : result["failures"]) CHECK(f["artifact"] == "network");  // module pending
  const fs::path bundle = result["bundle"].get<std::string>();
  CHECK(state_of(bed, name) == "true false\n");

  // The access time set inside the container is the bodyfile's: taken before the export read
  // the file (which moved it: relatime updates an access time older than the change time).
  const auto body = bodyfile_of(bundle);
  REQUIRE(body.count("/old"));
  CHECK(body.at("/old")[3] == "-rw-r--r--");
  CHECK(body.at("/old")[6] == "6");
  CHECK(body.at("/old")[7] == "1577836800");
  CHECK(body.count("/dev/shm/s") == 1);
  CHECK(body.count("/scratch/t") == 1);
  CHECK(body.count("/data/v") == 1);
  CHECK(body.count("/mnt/bind/b") == 1);
  // A system path, not copied: its only line is the layer's empty placeholder the engine made
  // to mount it on, not the host's /etc/hostname.
  const auto text = slurp(bundle / "filesystem/bodyfile.txt");
  const auto at = text.find("|/host-hostname|");
  REQUIRE(at != std::string::npos);
  CHECK(text.find("|/host-hostname|", at + 1) == std::string::npos);
  CHECK(body.at("/host-hostname")[6] == "0");
  auto mactime = run({"mactime", "-b", (bundle / "filesystem/bodyfile.txt").string(), "-z", "UTC"});
  CHECK(mactime.exit_code == 0);
  CHECK(mactime.out.find("/old") != std::string::npos);
  CHECK(mactime.out.find("Wed Jan 01 2020 00:00:00") != std::string::npos);
  CHECK(mactime.out.find("/dev/shm/s") != std::string::npos);

  // What the export lacks, each in its mount's tar.
  CHECK(run({"tar", "-tf", (bundle / "filesystem/export.tar").string()}).out.find("dev/shm/s") ==
        std::string::npos);
  const auto mounts = mounts_of(bundle);
  const std::map<std::string, std::pair<std::string, std::string>> expected{
      {"/dev/shm", {"dev/shm/s", "shm\n"}},
      {"/scratch", {"scratch/t", "tmp\n"}},
      {"/data", {"data/v", "vol\n"}},
      {"/mnt/bind", {"mnt/bind/b", "bind\n"}}};
  for (const auto& entry : expected) {
    // Not a structured binding: INFO captures it in a lambda, which clang 14 refuses.
    const std::string& destination = entry.first;
    const auto& file = entry.second;
    INFO(destination);
    REQUIRE(mounts.count(destination));
    const auto& m = mounts.at(destination);
    CHECK(m["copied"] == true);
    REQUIRE(m["tar"].is_string());
    CHECK(m["entries"].get<int>() >= 2);
    CHECK(member(bundle / m["tar"].get<std::string>(), file.first) == file.second);
  }
  CHECK(mounts.at("/data")["type"] == "volume");
  CHECK(mounts.at("/data")["volume"] == volume.name);
  CHECK(mounts.at("/scratch")["type"] == "tmpfs");
  CHECK(mounts.at("/mnt/bind")["source"] == host_dir.path.string());
  REQUIRE(mounts.count("/host-hostname"));
  CHECK(mounts.at("/host-hostname")["copied"] == false);
  CHECK(mounts.at("/host-hostname")["source"] == "/etc/hostname");
  CHECK(mounts.at("/host-hostname")["reason"].get<std::string>().find("system") !=
        std::string::npos);
  REQUIRE(mounts.count("/proc"));
  CHECK(mounts.at("/proc")["copied"] == false);

  // Hashed and listed like every artifact.
  CHECK(sh("cd '" + bundle.string() + "' && sha256sum -c --quiet SHA256SUMS").exit_code == 0);
  CHECK(run_tool("ir-verify", {bundle.string()}).exit_code == 0);
  const auto sums = slurp(bundle / "SHA256SUMS");
  CHECK(sums.find("  mounts/mounts.json\n") != std::string::npos);
  CHECK(sums.find("  filesystem/bodyfile.txt\n") != std::string::npos);
  CHECK(sums.find(mounts.at("/dev/shm")["tar"].get<std::string>()) != std::string::npos);
  const auto manifest = nlohmann::json::parse(slurp(bundle / "manifest.json"));
  std::map<std::string, int> artifacts;
  for (const auto& a : manifest["artifacts"]) ++artifacts[a["artifact"].get<std::string>()];
  CHECK(artifacts["mounts"] >= 5);
  CHECK(artifacts["bodyfile"] == 1);
}

TEST_CASE("collect: --mount-limit leaves files out with a note, --mount-copy-system copies" *
          doctest::timeout(120)) {
  if (!engine_available()) return;
  testbed bed;
  const auto name = bed.container(
      "limit",
      {"--network", "none", "--tmpfs", "/scratch", "-v", "/etc/hostname:/host-hostname:ro"},
      {"sh", "-c",
       "echo small > /scratch/a; head -c 2097152 /dev/zero > /scratch/big; touch /ready; "
       "exec sleep 3600"});
  wait_for_marker(bed, name, "/ready", "the files");
  temp_dir out;
  auto r = run_tool("ir-collect", {name, "--out", out.path.string(), "--artifacts", "mounts",
                                   "--mount-limit", "1", "--mount-copy-system", "--json"});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("mounts not collected") != std::string::npos);
  CHECK(r.err.find("/scratch/big") != std::string::npos);
  const auto result = nlohmann::json::parse(r.out);
  const fs::path bundle = result["bundle"].get<std::string>();
  const auto mounts = mounts_of(bundle);
  const auto& scratch = mounts.at("/scratch");
  CHECK(scratch["left_out"]["files"] == 1);
  CHECK(scratch["left_out"]["bytes"] == 2097152);
  CHECK(scratch["left_out"]["first"][0] == "/scratch/big");
  CHECK(member(bundle / scratch["tar"].get<std::string>(), "scratch/a") == "small\n");
  CHECK(slurp(bundle / "custody.jsonl").find("/scratch: 1 files (2097152 bytes) left out") !=
        std::string::npos);
  // Asked for: the single file bind of a system path is copied.
  const auto& host = mounts.at("/host-hostname");
  CHECK(host["copied"] == true);
  CHECK(member(bundle / host["tar"].get<std::string>(), "host-hostname") == slurp("/etc/hostname"));
  // Only the mounts were asked for: the bodyfile holds them, not the layer.
  const auto body = slurp(bundle / "filesystem/bodyfile.txt");
  CHECK(body.find("|/scratch/a|") != std::string::npos);
  CHECK(body.find("|/ready|") == std::string::npos);
  CHECK(run_tool("ir-verify", {bundle.string()}).exit_code == 0);
}
