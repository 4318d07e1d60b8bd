#pragma once
// Indicators of compromise: IPs, CIDRs, domains and SHA-256 digests, from a simple text file
// (format in docs/ioc-format.md), and matching against what the bundle holds.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forensic::analysis {

struct ioc_entry {
  std::string type;   // "ip", "cidr", "domain", "sha256"
  std::string value;  // canonical: lowercase, domains without trailing dot, CIDR as written
  std::string note;   // text after " # " on its line
  int line = 0;
};

class ioc_set {
 public:
  // Parses the text; lines it cannot read are kept in errors() (never thrown).
  static ioc_set parse(std::string_view text);
  // Reads a file; throws errc::io when it cannot be read.
  static ioc_set load(const std::filesystem::path& path);

  // The matching entry, if any. Addresses may be IPv4-mapped IPv6; domains match themselves
  // and their subdomains, case-insensitively.
  const ioc_entry* match_address(std::string_view address) const;
  const ioc_entry* match_domain(std::string_view name) const;
  const ioc_entry* match_sha256(std::string_view hex) const;

  const std::vector<ioc_entry>& entries() const noexcept { return entries_; }
  const std::vector<std::string>& errors() const noexcept { return errors_; }
  bool empty() const noexcept { return entries_.empty(); }
  bool has_hashes() const noexcept;

 private:
  std::vector<ioc_entry> entries_;
  std::vector<std::string> errors_;
};

}  // namespace forensic::analysis
