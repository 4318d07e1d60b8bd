#include "evidence/saved_image.hpp"

#include <archive_entry.h>

#include <ctime>
#include <vector>

#include "evidence/tar_output.hpp"
#include "forensic/error.hpp"
#include "forensic/io/sha256.hpp"

namespace forensic::evidence::detail {
namespace {

void add_entry(tar_output& out, const std::string& path, std::uint64_t size, std::time_t when) {
  io::archive_entry_ptr e(archive_entry_new());
  archive_entry_copy_pathname(e.get(), path.c_str());
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_perm(e.get(), 0644);
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
  archive_entry_set_mtime(e.get(), when, 0);
  out.check(archive_write_header(out.get(), e.get()), "cannot add " + path + " to the image");
}

void add_small(tar_output& out, const std::string& path, const std::string& content,
               std::time_t when) {
  add_entry(out, path, content.size(), when);
  if (archive_write_data(out.get(), content.data(), content.size()) !=
      static_cast<la_ssize_t>(content.size())) {
    out.fail("cannot write " + path + " into the image");
  }
}

}  // namespace

std::string saved_image_config(const saved_image& image, const std::string& layer_sha256) {
  nlohmann::json doc = {{"architecture", image.architecture},
                        {"os", image.os},
                        {"created", image.created},
                        {"config", image.config},
                        {"rootfs", {{"type", "layers"}, {"diff_ids", {"sha256:" + layer_sha256}}}},
                        {"history",
                         {{{"created", image.created},
                           {"created_by", image.created_by},
                           {"comment", image.comment}}}}};
  // Names a container chose can hold bytes that are not UTF-8: replaced, never a lost image.
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string write_saved_image(int layer_fd, std::uint64_t layer_size,
                              const std::string& layer_sha256, const saved_image& image,
                              io::byte_sink& out, const std::atomic<bool>* cancel) {
  const std::string config = saved_image_config(image, layer_sha256);
  const std::string config_digest = io::sha256::of(config);
  const std::string layer_path = layer_sha256 + "/layer.tar";
  const nlohmann::json manifest = nlohmann::json::array({{{"Config", config_digest + ".json"},
                                                          {"RepoTags", {image.reference}},
                                                          {"Layers", {layer_path}}}});
  const std::time_t now = std::time(nullptr);

  tar_output tar(out);
  // pax only where ustar cannot hold a field (a layer of 8 GiB or more): plain ustar otherwise.
  tar.check(archive_write_set_format_pax_restricted(tar.get()), "image tar format");
  tar.check(archive_write_set_bytes_in_last_block(tar.get(), 1), "image tar block");
  tar.open("image tar open");
  add_entry(tar, layer_path, layer_size, now);
  std::vector<char> block(1 << 20);
  const std::uint64_t copied =
      write_file_data(tar, layer_fd, layer_size, block, "the exported filesystem", cancel);
  if (copied != layer_size) {
    throw error(errc::io, "the exported filesystem shrank while the image was written (" +
                              std::to_string(copied) + " of " + std::to_string(layer_size) +
                              " bytes)");
  }
  add_small(tar, config_digest + ".json", config, now);
  add_small(tar, "manifest.json", manifest.dump() + "\n", now);
  tar.close("cannot finish the image tar");
  return "sha256:" + config_digest;
}

}  // namespace forensic::evidence::detail
