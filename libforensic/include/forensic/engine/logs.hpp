#pragma once
// The engine's multiplexed log stream, split back into stdout and stderr.
//
// A container without a TTY has its logs (and attach streams) framed by the engine: each frame
// is an 8-byte header [stream, 0, 0, 0, size as big-endian uint32] followed by `size` bytes of
// payload, stream 1 being stdout and 2 stderr (0, stdin, is treated as stdout as the docker CLI
// does). A TTY container's stream has no frames at all and must be kept raw. Frames arrive in
// whatever pieces the transport cuts them into, so a header itself can be split across two
// reads: log_demuxer is a pure state machine that accepts any split.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "forensic/io/byte_sink.hpp"

namespace forensic::engine {

class log_demuxer final : public io::byte_sink {
 public:
  // Payload goes to `out` or `err` (either may be null: that stream is dropped). Neither sink
  // is finished by this class: the caller owns them.
  log_demuxer(io::byte_sink* out, io::byte_sink* err) : out_(out), err_(err) {}

  // Accepts any piece of the stream. Throws errc::protocol on a header that is not a frame
  // header (unknown stream byte or non-zero padding), naming its offset.
  void write(std::span<const std::byte> bytes) override;
  // Throws errc::protocol when the stream ends inside a header or a payload (truncated).
  void finish() override;

  std::uint64_t frames() const noexcept { return frames_; }
  std::uint64_t stdout_bytes() const noexcept { return stdout_bytes_; }
  std::uint64_t stderr_bytes() const noexcept { return stderr_bytes_; }

 private:
  void start_frame();

  io::byte_sink* out_;
  io::byte_sink* err_;
  std::array<std::byte, 8> header_{};
  std::size_t header_have_ = 0;     // bytes of the current header received so far
  std::uint32_t payload_left_ = 0;  // bytes of the current frame's payload still to come
  int stream_ = 0;
  std::uint64_t offset_ = 0;  // bytes consumed, for error messages
  std::uint64_t frames_ = 0;
  std::uint64_t stdout_bytes_ = 0;
  std::uint64_t stderr_bytes_ = 0;
};

}  // namespace forensic::engine
