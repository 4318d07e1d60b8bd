#pragma once
// Private to evidence: an image in the format of `docker save` (the format `docker load` reads)
// whose one layer is the container's export, so that the collection needs neither the engine's
// commit (which writes the whole filesystem into the engine's storage again) nor its image save
// (which reads it back out a third time).
#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "forensic/io/byte_sink.hpp"

namespace forensic::evidence::detail {

struct saved_image {
  std::string reference;     // "repo:tag", restored by `docker load`
  nlohmann::json config;     // the container's Config, as the image's config (labels included)
  std::string architecture;  // "amd64"
  std::string os;            // "linux"
  std::string created;       // RFC 3339
  std::string created_by;    // the history entry: who made the layer, from what
  std::string comment;
};

// The image config document; its SHA-256 is the image id `docker load` reports.
std::string saved_image_config(const saved_image& image, const std::string& layer_sha256);

// Writes the image into `out` (not finished: the caller does): manifest.json, the config, and
// `layer_fd`'s content (an uncompressed tar of `layer_size` bytes whose SHA-256 is `layer_sha256`)
// as the single layer. Returns the image id ("sha256:<digest of the config>"). Errors: errc::io for
// the layer read, errc::archive for the tar, errc::cancelled when `cancel` turns true; a short
// layer (the file changed) is errc::io.
std::string write_saved_image(int layer_fd, std::uint64_t layer_size,
                              const std::string& layer_sha256, const saved_image& image,
                              io::byte_sink& out, const std::atomic<bool>* cancel = nullptr);

}  // namespace forensic::evidence::detail
