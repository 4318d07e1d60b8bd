#pragma once
// The evidence bundle on disk, written atomically (layout: docs/bundle.md).
//
// partial_bundle creates `<out>/<name>.partial/` (mode 0700) and every file in it with
// O_EXCL and mode 0600, each hashed while it streams in. commit() writes SHA256SUMS last,
// fsyncs, and renames the directory to `<out>/<name>`: only then does anything in `<out>`
// look complete. Destroyed without commit (an exception, Ctrl-C), it leaves the `.partial`
// directory for inspection, which ir-verify rejects.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "forensic/io/byte_sink.hpp"

namespace forensic::evidence {

struct file_record {
  std::string path;  // relative to the bundle root, '/'-separated
  std::uint64_t size = 0;
  std::string sha256;
};

class partial_bundle;

// One file of the bundle being written. Bytes are hashed and written as they arrive, on the
// caller's thread: while a piece is hashed, the engine goes on filling the socket buffer, so
// hashing overlaps the transfer, and no thread of its own competes with the engine for a core
// (docs/performance-notes.md). finish() waits for the disk (fsync) and records the file in its
// bundle. Destroyed unfinished (its step failed), the file is removed: a bundle holds no file
// that SHA256SUMS does not list. A write or finish that fails throws forensic::error (the
// file sink's, naming the file).
class evidence_file final : public io::byte_sink {
 public:
  ~evidence_file() override;
  void write(std::span<const std::byte> bytes) override;
  void finish() override;
  const std::string* digest_after_finish() const noexcept override { return &record_.sha256; }
  const file_record& record() const noexcept { return record_; }

 private:
  friend class partial_bundle;
  struct impl;
  evidence_file(partial_bundle& bundle, std::string relative, std::filesystem::path full);
  partial_bundle& bundle_;
  file_record record_;
  std::unique_ptr<impl> impl_;
};

class partial_bundle {
 public:
  // Throws errc::permission_denied / io when `out_dir` cannot take a new directory, and
  // errc::conflict when `<name>` or `<name>.partial` already exists there.
  partial_bundle(const std::filesystem::path& out_dir, std::string name);
  ~partial_bundle();
  partial_bundle(const partial_bundle&) = delete;
  partial_bundle& operator=(const partial_bundle&) = delete;

  const std::string& name() const noexcept { return name_; }
  // Where files are written now (`<name>.partial`, then `<name>` once committed).
  const std::filesystem::path& directory() const noexcept { return directory_; }
  std::filesystem::path final_directory() const { return out_dir_ / name_; }

  // A new file at `relative` ("logs/stdout.log"); parent directories are created 0700.
  // Throws errc::invalid_argument for an absolute path, "..", or a name sha256sum would
  // need to escape (newline, backslash).
  std::unique_ptr<evidence_file> create(std::string_view relative);
  // Writes a small document as one file and returns its record.
  file_record write_file(std::string_view relative, std::string_view content);

  // The path a file written by another module (the capture session) must take; then adopt()
  // it once complete: it is hashed, set to mode 0600 and recorded.
  std::filesystem::path reserve(std::string_view relative);
  file_record adopt(std::string_view relative);

  // Completed files, by path.
  const std::map<std::string, file_record>& files() const noexcept { return files_; }

  // Writes SHA256SUMS over every completed file, syncs and renames. Returns the final path.
  std::filesystem::path commit();
  bool committed() const noexcept { return committed_; }

 private:
  friend class evidence_file;
  void make_parents(std::string_view relative);
  void add(const file_record& r) { files_[r.path] = r; }

  std::filesystem::path out_dir_;
  std::string name_;
  std::filesystem::path directory_;
  std::map<std::string, file_record> files_;
  bool committed_ = false;
};

// The text of a SHA256SUMS file (`sha256sum -c` format, sorted by path) for `files`.
std::string sha256sums_text(const std::map<std::string, file_record>& files);

// Parses a SHA256SUMS text into path -> digest; lines that are not "<64 hex>  <path>" throw
// errc::parse naming the line.
std::map<std::string, std::string> parse_sha256sums(std::string_view text);

}  // namespace forensic::evidence
