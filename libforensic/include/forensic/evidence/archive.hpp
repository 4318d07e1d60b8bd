#pragma once
// Packing a committed bundle into one file for transport, reproducibly.
//
// Entries are written in byte order of their paths, under a top directory named after the
// bundle, with the owners, modes and modification times the files have on disk and nothing
// else (no atime/ctime, no user names, no extended attributes), so packing the same bundle
// twice gives the same bytes. The archive's SHA-256 is computed while it is written and put
// beside it as `<archive>.sha256` in `sha256sum -c` format.
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "forensic/io/byte_sink.hpp"

namespace forensic::evidence {

enum class archive_format { tar, tar_zst };

// "tar" or "tar.zst"; throws errc::invalid_argument otherwise.
archive_format parse_archive_format(std::string_view name);
const char* extension(archive_format f);  // ".tar", ".tar.zst"

struct packed_archive {
  std::filesystem::path path;      // <bundle>.tar[.zst], beside the bundle directory
  std::filesystem::path checksum;  // <archive>.sha256
  std::string sha256;
};

// Packs `bundle_dir` (written first as `<archive>.partial`, renamed when complete).
packed_archive pack_bundle(const std::filesystem::path& bundle_dir, archive_format format);

// Calls `on_file(path, size, body)` for each regular file of an archive (tar or tar.zst,
// detected), where `path` is the entry name and `body(sink)` streams the content into a sink.
// Entries that are not regular files or directories are reported with size -1 and no body.
using archive_body = std::function<void(io::byte_sink&)>;
void read_archive(const std::filesystem::path& archive,
                  const std::function<void(const std::string& path, long long size,
                                           const archive_body& body)>& on_file);

}  // namespace forensic::evidence
