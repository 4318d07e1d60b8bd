#include "forensic/engine/logs.hpp"

#include <algorithm>
#include <string>

#include "forensic/error.hpp"

namespace forensic::engine {

void log_demuxer::start_frame() {
  const auto b = [&](std::size_t i) { return std::to_integer<std::uint32_t>(header_[i]); };
  const std::uint32_t stream = b(0);
  if (stream > 2 || b(1) != 0 || b(2) != 0 || b(3) != 0) {
    throw error(errc::protocol, "log stream: byte " + std::to_string(offset_ - 8) +
                                    " does not start a frame header (stream byte " +
                                    std::to_string(stream) + "); is the container a TTY one?");
  }
  stream_ = stream == 2 ? 2 : 1;
  payload_left_ = (b(4) << 24) | (b(5) << 16) | (b(6) << 8) | b(7);
  header_have_ = 0;
  ++frames_;
}

void log_demuxer::write(std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    if (payload_left_ == 0) {
      // Inside a header: take what is missing of it, possibly less than all.
      const std::size_t take = std::min(bytes.size(), header_.size() - header_have_);
      std::copy_n(bytes.begin(), take, header_.begin() + header_have_);
      header_have_ += take;
      offset_ += take;
      bytes = bytes.subspan(take);
      if (header_have_ == header_.size()) start_frame();
      continue;
    }
    const std::size_t take = std::min<std::size_t>(bytes.size(), payload_left_);
    io::byte_sink* target = stream_ == 2 ? err_ : out_;
    if (target) target->write(bytes.first(take));
    (stream_ == 2 ? stderr_bytes_ : stdout_bytes_) += take;
    payload_left_ -= static_cast<std::uint32_t>(take);
    offset_ += take;
    bytes = bytes.subspan(take);
  }
}

void log_demuxer::finish() {
  if (header_have_ != 0 || payload_left_ != 0) {
    throw error(errc::protocol, "log stream truncated at byte " + std::to_string(offset_) +
                                    (header_have_ ? " inside a frame header" : " inside a frame"));
  }
}

}  // namespace forensic::engine
