#pragma once
// YARA rules (compiled with libyara) run over what a bundle holds: every regular member of the
// filesystem export, of the mount archives and of the deep paths tar, and every process
// memory core (memory/*.core). A match is a finding naming the rule, its tags, the bundle
// file, and the path inside the tar or the offset (and virtual address) inside the core.
//
// Tar members are read one at a time into a buffer of at most `member_cap` bytes and scanned
// from memory; a longer member has only its first `member_cap` bytes scanned, and the finding
// or a warning says so. Cores are scanned as files (libyara maps them), never copied.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace forensic::analysis {

struct yara_match {
  std::string rule;
  std::string rule_namespace;
  std::vector<std::string> tags;
  std::uint64_t offset = 0;  // of the first string that matched; 0 for a condition-only rule
  std::string string_id;     // "$a"; empty for a condition-only rule
};

class yara_rules {
 public:
  // Compiles a rule file, or every *.yar / *.yara file of a directory (sorted, not recursive).
  // Throws errc::parse naming the file and line of each compiler error, errc::io when a file
  // cannot be read, errc::not_found when a directory holds no rule file.
  static yara_rules compile(const std::filesystem::path& file_or_directory);

  yara_rules(yara_rules&&) noexcept;
  yara_rules& operator=(yara_rules&&) noexcept;
  ~yara_rules();

  // The rules that match `data`. Throws errc::io when libyara fails (out of memory, timeout).
  std::vector<yara_match> scan(std::span<const std::byte> data) const;
  // The rules that match a file, mapped by libyara.
  std::vector<yara_match> scan_file(const std::filesystem::path& file) const;

  std::size_t rule_count() const noexcept;
  const std::vector<std::string>& sources() const noexcept;  // the rule files compiled

 private:
  struct impl;
  explicit yara_rules(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace forensic::analysis
