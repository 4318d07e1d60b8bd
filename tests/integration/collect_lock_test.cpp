// One collection per container at a time, and the manifest's pause record: a second
// ir-collect of a container being collected refuses at once (exit 9), and the bundle says who
// paused and unpaused the container, and when.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/testbed.hpp"

namespace fs = std::filesystem;
using namespace forensic::testing;
using nlohmann::json;

namespace {}  // namespace

TEST_CASE("collect: two collections of one container at once: one proceeds, the other exits 9" *
          doctest::timeout(240)) {
  REQUIRE(engine_available());
  REQUIRE(::geteuid() == 0);
  testbed bed;
  const std::string net = bed.network("lock");
  const std::string name = bed.container("locked", {"--network", net});
  const std::string id = trim(bed.docker({"inspect", "-f", "{{.Id}}", name}));
  const fs::path lock_file = fs::path("/run/forensic") / ("collect-" + id + ".lock");

  temp_dir first_out, second_out;
  command_result first;
  // The capture keeps the first collection (and its lock) alive at least 6 seconds.
  std::thread first_run([&] {
    first = run_tool("ir-collect", {name, "--out", first_out.path.string(), "--case", "IT-LOCK",
                                    "--artifacts", "inspect,image,processes,files,logs,diff,export",
                                    "--capture", "6", "--json"});
  });
  struct join_t {
    std::thread& t;
    ~join_t() {
      if (t.joinable()) t.join();
    }
  } join{first_run};
  std::string holder;
  wait_for([&] { return !(holder = trim(slurp(lock_file))).empty(); },
           "the first collection's lock", 30);

  auto second = run_tool("ir-collect",
                         {name, "--out", second_out.path.string(), "--case", "IT-LOCK", "--json"});
  CHECK(second.exit_code == 9);
  CHECK(second.out.empty());
  CHECK(second.err == "ir-collect: container " + id.substr(0, 12) +
                          " is being collected already by pid " + holder + " (lock " +
                          lock_file.string() + "): run again once it has finished\n");
  CHECK(fs::is_empty(second_out.path));  // nothing written

  first_run.join();
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  const auto result = json::parse(first.out);
  const fs::path bundle = result["bundle"].get<std::string>();
  const auto manifest = json::parse(slurp(bundle / "manifest.json"));
  INFO(manifest.dump(1));
  CHECK(manifest["failures"].empty());
  CHECK(manifest["lock"]["held"] == true);
  CHECK(manifest["lock"]["path"] == lock_file.string());
  const auto& pause = manifest["pause_record"];
  CHECK(pause["paused_by"] == "this collection");
  CHECK(pause["unpaused_by"] == "this collection");
  REQUIRE(pause["paused_at"].is_string());
  REQUIRE(pause["unpaused_at"].is_string());
  CHECK(pause["paused_at"].get<std::string>() <= pause["unpaused_at"].get<std::string>());
  CHECK(pause["paused_at"].get<std::string>() >= manifest["started"].get<std::string>());
  CHECK(manifest["pause"] == "paused for the filesystem steps, then unpaused");
  CHECK(fs::exists(bundle / "processes/processes.json"));
  CHECK(state_of(bed, name) == "true false\n");
  // Released: the lock file is empty and a new collection may start.
  CHECK(trim(slurp(lock_file)).empty());
  temp_dir third_out;
  auto third = run_tool("ir-collect", {name, "--out", third_out.path.string(), "--case", "IT-LOCK",
                                       "--artifacts", "inspect", "--json"});
  CHECK(third.exit_code == 0);
}

TEST_CASE("collect: a container already paused by someone else is recorded so, and left paused" *
          doctest::timeout(120)) {
  REQUIRE(engine_available());
  testbed bed;
  const std::string name = bed.container("prepaused", {"--network", "none"});
  bed.docker({"pause", name});
  temp_dir out;
  auto r = run_tool("ir-collect", {name, "--out", out.path.string(), "--case", "IT-PAUSED",
                                   "--artifacts", "inspect,diff", "--json"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  const auto result = json::parse(r.out);
  const auto manifest =
      json::parse(slurp(fs::path(result["bundle"].get<std::string>()) / "manifest.json"));
  CHECK(manifest["pause_record"]["paused_by"] == "already paused before this collection");
  CHECK(manifest["pause_record"]["paused_at"].is_null());
  CHECK(manifest["pause_record"]["unpaused_by"].is_null());
  CHECK(state_of(bed, name) == "true true\n");
  bed.docker({"unpause", name});
}
