#pragma once
// SHA-256 over OpenSSL 3's EVP interface, as a value type, and of a whole file.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "forensic/io/byte_sink.hpp"

namespace forensic::io {

class sha256 {
 public:
  sha256();
  sha256(sha256&&) noexcept;
  sha256& operator=(sha256&&) noexcept;
  ~sha256();

  void update(std::span<const std::byte> bytes);
  void update(std::string_view text) { update(as_bytes(text)); }
  // Finishes the digest and returns it as 64 lowercase hex digits. The object can't be updated
  // afterwards.
  std::string hex_digest();

  static std::string of(std::string_view text);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Hashes a whole file by streaming it in fixed-size blocks.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace forensic::io
