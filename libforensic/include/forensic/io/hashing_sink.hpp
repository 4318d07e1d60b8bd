#pragma once
// A pass-through sink that hashes what flows through it, so that evidence is hashed while it
// streams to disk instead of being read back afterwards.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "forensic/io/byte_sink.hpp"
#include "forensic/io/sha256.hpp"

namespace forensic::io {

// Hashes what passes through, then forwards it to `next` (which may be null: hash only).
class hashing_sink final : public byte_sink {
 public:
  explicit hashing_sink(byte_sink* next = nullptr) : next_(next) {}
  void write(std::span<const std::byte> bytes) override;
  void finish() override;
  // Valid after finish().
  const std::string& hex_digest() const noexcept { return digest_; }
  const std::string* digest_after_finish() const noexcept override { return &digest_; }
  std::uint64_t bytes() const noexcept { return bytes_; }

 private:
  byte_sink* next_;
  sha256 hash_;
  std::string digest_;
  std::uint64_t bytes_ = 0;
};

}  // namespace forensic::io
