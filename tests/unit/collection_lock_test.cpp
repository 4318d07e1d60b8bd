// The per-container collection lock, without an engine.
#include "forensic/evidence/collection_lock.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/scratch.hpp"

using forensic::evidence::collection_lock;
using forensic::evidence::collection_locked;
using forensic::testing::slurp;
using forensic::testing::temp_dir;

TEST_CASE("collection lock: a second holder of one container is refused, naming the first") {
  temp_dir dir;
  const std::string id(64, 'a');
  const auto lock_dir = dir.path / "forensic";  // created on first use
  {
    collection_lock first(lock_dir, id);
    CHECK(first.path() == lock_dir / ("collect-" + id + ".lock"));
    CHECK(slurp(first.path()) == std::to_string(::getpid()) + "\n");
    // flock is per open file: a second open in this very process is a second holder.
    bool refused = false;
    try {
      collection_lock second(lock_dir, id);
    } catch (const collection_locked& e) {
      refused = true;
      CHECK(e.holder_pid() == ::getpid());
      CHECK(e.kind() == forensic::errc::conflict);
      const std::string what = e.what();
      CHECK(what.find("pid " + std::to_string(::getpid())) != std::string::npos);
      CHECK(what.find(first.path().string()) != std::string::npos);
      CHECK(what.find('\n') == std::string::npos);
    }
    CHECK(refused);
    // Another container is not held up.
    collection_lock other(lock_dir, std::string(64, 'b'));
  }
  // Released with its holder; the file is left, emptied.
  CHECK(slurp(lock_dir / ("collect-" + id + ".lock")).empty());
  collection_lock again(lock_dir, id);
  CHECK(slurp(again.path()) == std::to_string(::getpid()) + "\n");
}

TEST_CASE("collection lock: an unusable directory is an error, not a refusal") {
  temp_dir dir;
  const auto file = dir.path / "not-a-directory";
  { std::ofstream(file) << "x"; }
  CHECK_THROWS_AS(collection_lock(file / "sub", std::string(64, 'c')), forensic::error);
}
