// The one program spawner: no shell, fixed environment, stdin fed, both outputs captured, a
// deadline that kills, and a program lookup in fixed directories only.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <chrono>
#include <string>

#include "forensic/error.hpp"
#include "io/spawn.hpp"

using namespace forensic;
using namespace std::chrono_literals;

TEST_CASE("spawn feeds stdin and captures stdout") {
  // More than a pipe holds (64 KiB): writing and reading must interleave.
  std::string input(1 << 20, 'x');
  input += "end\n";
  const auto r = io::spawn({"/bin/cat"}, {input, 10s});
  CHECK(r.started);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 0);
  CHECK(r.out == input);
  CHECK(r.err.empty());
}

TEST_CASE("spawn reports the exit code and stderr; stdin is empty by default") {
  const auto r = io::spawn({"/bin/cat", "/nonexistent/file"});
  CHECK(r.started);
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err.find("/nonexistent/file") != std::string::npos);
  CHECK(io::spawn({"/bin/cat"}).out.empty());  // /dev/null: EOF at once
}

TEST_CASE("spawn reports a signal as 128+N") {
  const auto r = io::spawn({"/bin/sh", "-c", "kill -TERM $$"});
  CHECK(r.exit_code == 128 + 15);
}

TEST_CASE("spawn refuses a relative path and reports a missing binary") {
  try {
    io::spawn({"cat"});
    FAIL("a relative path was run");
  } catch (const error& e) {
    CHECK(e.kind() == errc::invalid_argument);
  }
  try {
    io::spawn({"/nonexistent/program"});
    FAIL("a missing program was reported as run");
  } catch (const error& e) {
    CHECK(e.kind() == errc::io);
    CHECK(std::string(e.what()).find("/nonexistent/program") != std::string::npos);
  }
}

TEST_CASE("spawn_named looks in the fixed directories only, never $PATH") {
  const auto r = io::spawn_named("no-such-program-here", {});
  CHECK_FALSE(r.started);
  CHECK(r.exit_code == -1);
  CHECK_FALSE(io::find_program("../bin/cat"));
  const auto cat = io::find_program("cat");
  REQUIRE(cat);
  CHECK((*cat == "/usr/bin/cat" || *cat == "/bin/cat"));
  CHECK(io::spawn_named("cat", {}, {"hi", 5s}).out == "hi");
}

TEST_CASE("spawn kills a program still running at the deadline") {
  const auto start = std::chrono::steady_clock::now();
  const auto r = io::spawn({"/bin/sleep", "10"}, {{}, 300ms});
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.started);
  CHECK(r.timed_out);
  CHECK(r.exit_code == -1);
  CHECK(took < 1500ms);
}

TEST_CASE("spawn runs the program in the fixed environment, not the caller's") {
  ::setenv("FORENSIC_SPAWN_TEST", "leaked", 1);
  const auto r = io::spawn({"/usr/bin/env"});
  ::unsetenv("FORENSIC_SPAWN_TEST");
  CHECK(r.exit_code == 0);
  CHECK(r.out == std::string(io::spawn_path) + "\n" + io::spawn_locale + "\n");
}
