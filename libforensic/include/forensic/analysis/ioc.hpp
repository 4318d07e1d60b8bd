#pragma once
// Indicators of compromise: IPs, CIDRs, domains and SHA-256 digests, from a simple text file,
// a STIX 2.1 bundle or a MISP event (formats in docs/ioc-format.md), and matching against what
// the bundle holds. The three formats give the same entries for the same indicators, hence the
// same hits.
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
  int line = 0;       // text: its line; STIX/MISP: the indicator's or attribute's position (1-)
};

class ioc_set {
 public:
  // Parses the text; lines it cannot read are kept in errors() (never thrown).
  static ioc_set parse(std::string_view text);
  // A STIX 2.1 bundle: each indicator whose pattern compares ipv4-addr:value, ipv6-addr:value,
  // domain-name:value, url:value (its host is kept) or file:hashes.'SHA-256'. What cannot be
  // used (other objects, AND patterns, other hashes) is listed in errors(); never throws.
  static ioc_set parse_stix(std::string_view json_text);
  // A MISP event ({"Event": {...}}, a list of them, or {"response": [...]}): its attributes and
  // its objects' attributes of types ip-src, ip-dst (and |port), domain, hostname, domain|ip,
  // url, sha256, filename|sha256. Never throws.
  static ioc_set parse_misp(std::string_view json_text);
  // Reads a file: JSON with "type": "bundle" is STIX, JSON with an "Event" or "response" is
  // MISP, anything else the text format. Throws errc::io when it cannot be read.
  static ioc_set load(const std::filesystem::path& path);
  // "text", "stix" or "misp": the format the set was read from.
  const std::string& format() const noexcept { return format_; }

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
  // Normalises `value` as the text format does and keeps it; false when it is not a valid
  // `type` (the caller reports it).
  bool add(std::string type, std::string value, std::string note, int line);

  std::vector<ioc_entry> entries_;
  std::vector<std::string> errors_;
  std::string format_ = "text";
};

}  // namespace forensic::analysis
