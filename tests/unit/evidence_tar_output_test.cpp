// A tar written into a sink that fails: the sink's own error (a full disk is errc::io, exit 6 at
// the tool) reaches the caller, not libarchive's generic "write failed" (errc::archive).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <string>
#include <vector>

#include "evidence/tar_output.hpp"
#include "forensic/error.hpp"
#include "forensic/evidence/deep_paths.hpp"
#include "forensic/io/unique_fd.hpp"
#include "support/scratch.hpp"

using namespace forensic;

namespace {

struct full_disk_sink final : io::byte_sink {
  void write(std::span<const std::byte>) override {
    throw error(errc::io, "cannot write /cases/out.tar: No space left on device");
  }
};

void put(const std::filesystem::path& file, std::size_t size) {
  io::unique_fd f(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  REQUIRE(f);
  const std::string content(size, 'a');
  REQUIRE(::write(f.get(), content.data(), content.size()) == ssize_t(content.size()));
}

}  // namespace

TEST_CASE("tar_output: the sink's exception is what the failing libarchive call throws") {
  testing::temp_dir dir("tar-output");
  put(dir.path / "data", 256 << 10);
  full_disk_sink sink;
  evidence::detail::tar_output tar(sink);
  evidence::detail::check(tar.get(), archive_write_set_format_pax_restricted(tar.get()), "tar");
  tar.open("open");
  io::archive_entry_ptr e(archive_entry_new());
  archive_entry_set_pathname(e.get(), "data");
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_perm(e.get(), 0600);
  archive_entry_set_size(e.get(), 256 << 10);
  try {
    tar.check(archive_write_header(tar.get(), e.get()), "header");
    io::unique_fd fd(::open((dir.path / "data").c_str(), O_RDONLY | O_CLOEXEC));
    std::vector<char> block(64 << 10);
    evidence::detail::write_file_data(tar, fd.get(), 256 << 10, block, "data");
    tar.close("close");
    FAIL("the failing sink went unnoticed");
  } catch (const error& err) {
    CHECK(err.kind() == errc::io);
    CHECK(std::string(err.what()).find("No space left on device") != std::string::npos);
  }
}

TEST_CASE("archive_deep_paths into a full disk fails with errc::io, not errc::archive") {
  testing::temp_dir dir("tar-output-deep");
  put(dir.path / "big", 1 << 20);
  full_disk_sink sink;
  // With an engine root path of PATH_MAX bytes every entry is too deep for the engine.
  try {
    evidence::archive_deep_paths(dir.path, PATH_MAX, [&]() -> io::byte_sink& { return sink; });
    FAIL("the failing sink went unnoticed");
  } catch (const error& err) {
    CHECK(err.kind() == errc::io);
  }
}
