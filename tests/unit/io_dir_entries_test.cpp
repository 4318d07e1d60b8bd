#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "forensic/error.hpp"
#include "forensic/proc/root_files.hpp"
#include "io/dir_entries.hpp"
#include "support/scratch.hpp"

using namespace forensic;
namespace fs = std::filesystem;

namespace {

std::set<std::string> names_in(int fd) {
  std::set<std::string> out;
  io::dir_entries entries(fd);
  while (const dirent64* e = entries.next()) {
    CHECK(out.insert(e->d_name).second);  // each entry once
  }
  CHECK(errno == 0);  // the end, not an error
  return out;
}

}  // namespace

TEST_CASE("a directory's entries read with getdents64, more than one buffer of them") {
  testing::temp_dir root;
  std::set<std::string> expected;
  // Long names: far more than one 8 KiB read.
  for (int k = 0; k < 400; ++k) {
    const std::string name = "entry-" + std::to_string(k) + std::string(40, 'x');
    std::ofstream(root.path / name) << k;
    expected.insert(name);
  }
  fs::create_directory(root.path / "sub");
  expected.insert("sub");
  const io::unique_fd fd(::open(root.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(fd);
  CHECK(names_in(fd.get()) == expected);  // no "." or ".."

  const io::unique_fd empty(
      ::open((root.path / "sub").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(empty);
  CHECK(names_in(empty.get()).empty());

  // Not a directory: nothing, and errno says why.
  const io::unique_fd file(::open((root.path / *expected.begin()).c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(file);
  io::dir_entries not_a_directory(file.get());
  CHECK(not_a_directory.next() == nullptr);
  CHECK(errno == ENOTDIR);
}

TEST_CASE("a directory inside a root is opened for reading only when it is a directory there") {
  testing::temp_dir root;
  fs::create_directories(root.path / "dev/sub");
  std::ofstream(root.path / "dev/file") << "x";
  REQUIRE(::mkfifo((root.path / "dev/fifo").c_str(), 0600) == 0);
  // Planted links: resolved as the container sees them, never to the host's directories.
  fs::create_symlink("/dev/sub", root.path / "inside");
  fs::create_symlink("../../../../../../../etc", root.path / "dotdot");

  const auto listed = [&](const char* path) {
    const io::unique_fd fd = proc::open_directory_in_root(root.path, path);
    std::set<std::string> out;
    io::dir_entries entries(fd.get());
    while (const dirent64* e = entries.next()) out.insert(e->d_name);
    return out;
  };
  CHECK(listed("/dev") == std::set<std::string>{"sub", "file", "fifo"});
  CHECK(listed("/inside").empty());  // the root's /dev/sub
  // The root has no /etc: the host's is not taken in its place.
  CHECK_THROWS_AS(proc::open_directory_in_root(root.path, "/dotdot"), error);
  fs::create_directory(root.path / "etc");
  std::ofstream(root.path / "etc/mine") << "x";
  CHECK(listed("/dotdot") == std::set<std::string>{"mine"});
  // A FIFO or a file in the directory's place is refused before any open.
  CHECK_THROWS_AS(proc::open_directory_in_root(root.path, "/dev/fifo"), error);
  CHECK_THROWS_AS(proc::open_directory_in_root(root.path, "/dev/file"), error);
  try {
    (void)proc::open_directory_in_root(root.path, "/missing");
    FAIL("a missing directory opened");
  } catch (const error& e) {
    CHECK(e.kind() == errc::not_found);
  }
}
