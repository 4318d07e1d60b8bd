// archive_deep_paths on a tree built here with relative names (the way a container nests
// directories past PATH_MAX): what is too deep for a path-based walker is archived exactly,
// links are stored as links, and nothing shallower comes along.
#include "forensic/evidence/deep_paths.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "forensic/error.hpp"
#include "forensic/io/unique_fd.hpp"

namespace fs = std::filesystem;
using forensic::io::unique_fd;

namespace {

struct tree {
  fs::path root;
  tree() {
    std::string t = (fs::temp_directory_path() / "deep-paths-XXXXXX").string();
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    root = t;
  }
  ~tree() {
    // remove_all works by path and stops at PATH_MAX: take the deep part apart by fds first.
    if (std::system(("cd '" + root.string() + "' && find . -depth -delete").c_str()) != 0) {
      MESSAGE("could not remove " << root);
    }
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};

// Creates `levels` nested directories named `name` under `dir_fd`; returns the deepest's fd.
unique_fd nest(int dir_fd, const std::string& name, int levels) {
  unique_fd fd(::dup(dir_fd));
  for (int i = 0; i < levels; ++i) {
    REQUIRE(::mkdirat(fd.get(), name.c_str(), 0755) == 0);
    fd = unique_fd(::openat(fd.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(fd);
  }
  return fd;
}

void put(int dir_fd, const char* name, const std::string& content) {
  unique_fd f(::openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
  REQUIRE(f);
  REQUIRE(::write(f.get(), content.data(), content.size()) == ssize_t(content.size()));
}

struct entry {
  unsigned type;
  std::string content, link;
};

std::map<std::string, entry> read_tar(const std::string& bytes) {
  std::map<std::string, entry> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  REQUIRE(archive_read_open_memory(a, bytes.data(), bytes.size()) == ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    entry x{static_cast<unsigned>(archive_entry_filetype(e)), {}, {}};
    if (const char* l = archive_entry_symlink(e)) x.link = l;
    char buf[256];
    la_ssize_t n = 0;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) x.content.append(buf, std::size_t(n));
    out[archive_entry_pathname(e)] = x;
  }
  archive_read_free(a);
  return out;
}

}  // namespace

TEST_CASE("entries at PATH_MAX and below are archived from the host; shallower ones are not") {
  tree t;
  unique_fd root(::open(t.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  const std::string name(200, 'd');
  put(root.get(), "shallow.txt", "not deep");
  // 21 levels of 201 bytes: "/d.../d..." reaches 4221 bytes; the limit falls inside level 21.
  unique_fd deep = nest(root.get(), name, 21);
  put(deep.get(), "stash.sh", "#!/bin/sh\n");
  REQUIRE(::symlinkat("/etc/shadow", deep.get(), "to-host") == 0);
  // A second branch after the deep one: the walk comes back up through ".." and goes on.
  unique_fd other = nest(root.get(), "other", 1);
  put(other.get(), "after.txt", "x");

  forensic::io::string_sink sink;
  int opened = 0;
  const auto summary =
      forensic::evidence::archive_deep_paths(t.root, 0, [&]() -> forensic::io::byte_sink& {
        ++opened;
        return sink;
      });
  CHECK(opened == 1);
  std::string dir = name;
  for (int i = 1; i < 21; ++i) dir += "/" + name;  // the 21st level: 4220 bytes with its "/"
  const auto entries = read_tar(sink.str());
  REQUIRE(entries.count(dir + "/") == 1);  // a directory is named with its "/", as in the export
  CHECK(entries.at(dir + "/").type == AE_IFDIR);
  REQUIRE(entries.count(dir + "/stash.sh") == 1);
  CHECK(entries.at(dir + "/stash.sh").content == "#!/bin/sh\n");
  REQUIRE(entries.count(dir + "/to-host") == 1);
  CHECK(entries.at(dir + "/to-host").type == AE_IFLNK);
  CHECK(entries.at(dir + "/to-host").link == "/etc/shadow");
  CHECK(entries.size() == 3);  // level 20 ("/"+4019 bytes) and everything shallower stay out
  CHECK(summary.entries == 3);
  CHECK(summary.bytes == 10);
  REQUIRE(summary.tops.size() == 1);
  CHECK(summary.tops[0] == "/" + dir);
  CHECK(summary.skipped.empty());

  // With the engine's root path counted, the limit comes a level sooner.
  forensic::io::string_sink sink2;
  const auto with_prefix = forensic::evidence::archive_deep_paths(
      t.root, 100, [&]() -> forensic::io::byte_sink& { return sink2; });
  CHECK(with_prefix.entries == 4);
}

TEST_CASE("a tree with nothing too deep writes nothing") {
  tree t;
  unique_fd root(::open(t.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  nest(root.get(), "a", 50);
  bool opened = false;
  const auto summary =
      forensic::evidence::archive_deep_paths(t.root, 0, [&]() -> forensic::io::byte_sink& {
        opened = true;
        static forensic::io::counting_sink unused;
        return unused;
      });
  CHECK_FALSE(opened);
  CHECK(summary.entries == 0);
  CHECK_THROWS(forensic::evidence::archive_deep_paths(t.root / "missing", 0, nullptr));
  // Ctrl-C: the walk stops with errc::cancelled (the collector ends the collection on it).
  std::atomic<bool> interrupted{true};
  try {
    forensic::evidence::archive_deep_paths(t.root, 0, nullptr, &interrupted);
    FAIL("not cancelled");
  } catch (const forensic::error& e) {
    CHECK(e.kind() == forensic::errc::cancelled);
  }
}
