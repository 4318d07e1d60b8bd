#pragma once
// Scratch space for tests: a private temporary directory removed with everything in it, and
// reading a whole file back.
#include <filesystem>
#include <string>
#include <string_view>

namespace forensic::testing {

// mkdtemp under the system temporary directory: <stem>-XXXXXX, mode 0700.
struct temp_dir {
  std::filesystem::path path;
  explicit temp_dir(std::string_view stem = "forensic-test");
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

// The file's bytes, or "" when it cannot be read.
std::string slurp(const std::filesystem::path& file);

// `s` without trailing newlines and spaces (a command's output, one value).
std::string trim(std::string s);

}  // namespace forensic::testing
