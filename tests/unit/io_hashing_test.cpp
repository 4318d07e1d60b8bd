#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "forensic/error.hpp"
#include "forensic/io/file_sink.hpp"
#include "forensic/io/hashing_sink.hpp"
#include "forensic/io/sha256.hpp"
#include "forensic/io/unique_fd.hpp"

using namespace forensic;

TEST_CASE("SHA-256 of known vectors") {
  CHECK(io::sha256::of("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(io::sha256::of("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("hashing_sink -> file_sink writes and hashes in one pass") {
  auto dir = std::filesystem::temp_directory_path() / ("hash-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / "out.bin";
  {
    io::file_sink file(path);
    io::hashing_sink hasher(&file);
    hasher.write(io::as_bytes("ab"));
    hasher.write(io::as_bytes("c"));
    hasher.finish();
    CHECK(hasher.hex_digest() == io::sha256::of("abc"));
    CHECK(hasher.bytes() == 3);
  }
  CHECK(io::sha256_file(path) == io::sha256::of("abc"));
  CHECK((std::filesystem::status(path).permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  // Evidence files are never overwritten.
  CHECK_THROWS_AS(io::file_sink{path}, forensic::error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("string_sink refuses bodies over its cap") {
  io::string_sink sink(4);
  sink.write(io::as_bytes("1234"));
  CHECK_THROWS_AS(sink.write(io::as_bytes("5")), forensic::error);
}

TEST_CASE("file_sink skips whole zero blocks as holes; the file reads back byte for byte") {
  auto dir = std::filesystem::temp_directory_path() / ("hole-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / "sparse.bin";
  // Unaligned data around 64 MiB of zeros, written in odd-sized pieces, ending in zeros.
  std::string expected = "head";
  expected += std::string(64u << 20, '\0');
  expected += "middle";
  expected += std::string(10000, '\0');
  {
    io::file_sink file(path);
    for (std::size_t pos = 0, size = 3; pos < expected.size();
         pos += size, size = size * 7 % 1000003 + 1) {
      file.write(io::as_bytes(std::string_view(expected).substr(pos, size)));
    }
    file.finish();
  }
  CHECK(std::filesystem::file_size(path) == expected.size());
  CHECK(io::sha256_file(path) == io::sha256::of(expected));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  // The 64 MiB of zeros take no blocks, not even where a piece ends inside a zero block.
  CHECK(st.st_blocks * 512 <= (64 << 10));
  std::filesystem::remove_all(dir);
}

TEST_CASE("read_to_end: a regular file's size saves the empty read, and is only a hint") {
  const auto path =
      std::filesystem::temp_directory_path() / ("read-to-end-" + std::to_string(::getpid()));
  const std::string text(10000, 'x');
  std::ofstream(path) << text;
  auto read_with = [&](std::size_t cap, std::size_t size) {
    forensic::io::unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(fd);
    return forensic::io::read_to_end(fd.get(), cap, size);
  };
  CHECK(read_with(1u << 20, 0) == text);
  CHECK(read_with(1u << 20, text.size()) == text);
  // A file that grew after its stat, or a size that is wrong, still reads whole.
  CHECK(read_with(1u << 20, 100) == text);
  CHECK(read_with(1u << 20, 50000) == text);
  // The cap holds either way.
  CHECK_FALSE(read_with(5000, 0));
  CHECK_FALSE(read_with(5000, 100));
  CHECK_FALSE(read_with(9999, text.size() - 1));
  CHECK(read_with(10000, text.size()) == text);
  std::filesystem::remove(path);
}
