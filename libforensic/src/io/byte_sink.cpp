#include "forensic/io/byte_sink.hpp"

#include "forensic/error.hpp"

namespace forensic::io {

void string_sink::write(std::span<const std::byte> bytes) {
  if (data_.size() + bytes.size() > max_bytes_) {
    throw error(errc::protocol,
                "response body larger than " + std::to_string(max_bytes_) + " bytes; refusing it");
  }
  data_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace forensic::io
