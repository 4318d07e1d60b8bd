#pragma once
// Sinks: where streamed bodies go. A large body (an export, a log, an image save) flows through
// a chain of sinks (engine response -> hashing_sink -> file_sink) piece by piece, so it is
// never held in memory whole.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace forensic::io {

class byte_sink {
 public:
  virtual ~byte_sink() = default;
  virtual void write(std::span<const std::byte> bytes) = 0;
  // Called once after the last write; flushes and reports deferred errors.
  virtual void finish() {}
  // For a sink that computes the SHA-256 of what is written to it anyway (an evidence file):
  // where its hex digest will be once finish() has returned. Whoever feeds it (the engine
  // client, which records every response's digest) reads it there instead of hashing the same
  // bytes a second time (a second pass over a large export is pure waste).
  virtual const std::string* digest_after_finish() const noexcept { return nullptr; }
};

// Collects a body into a string, refusing more than max_bytes (so a hostile or broken peer
// cannot make a "small JSON" body exhaust memory).
class string_sink final : public byte_sink {
 public:
  explicit string_sink(std::size_t max_bytes = 64u << 20) : max_bytes_(max_bytes) {}
  void write(std::span<const std::byte> bytes) override;
  const std::string& str() const noexcept { return data_; }
  std::string take() noexcept { return std::move(data_); }

 private:
  std::string data_;
  std::size_t max_bytes_;
};

// Discards everything, counting bytes.
class counting_sink final : public byte_sink {
 public:
  void write(std::span<const std::byte> bytes) override { count_ += bytes.size(); }
  std::uint64_t count() const noexcept { return count_; }

 private:
  std::uint64_t count_ = 0;
};

inline std::span<const std::byte> as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace forensic::io
