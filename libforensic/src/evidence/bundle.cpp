#include "forensic/evidence/bundle.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "forensic/error.hpp"
#include "forensic/io/file_sink.hpp"
#include "forensic/io/hashing_sink.hpp"
#include "forensic/io/sha256.hpp"
#include "forensic/io/unique_fd.hpp"

namespace forensic::evidence {
namespace fs = std::filesystem;
namespace {

void make_directory(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0) {
    if (errno == EEXIST) throw error(errc::conflict, dir.string() + " already exists");
    throw_errno("cannot create " + dir.string(), errno);
  }
  ::chmod(dir.c_str(), 0700);  // exact, whatever the umask
}

void sync_directory(const fs::path& dir) {
  io::unique_fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd || ::fsync(fd.get()) != 0) throw_errno("cannot sync " + dir.string(), errno);
}

// Bundle paths are ours, but some carry container-derived parts: refuse anything that could
// leave the bundle or that sha256sum would print escaped.
void check_relative(std::string_view p) {
  bool bad = p.empty() || p.front() == '/' || p.find('\n') != std::string_view::npos ||
             p.find('\\') != std::string_view::npos || p.find('\0') != std::string_view::npos;
  for (std::size_t start = 0; !bad && start <= p.size();) {
    auto end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    auto part = p.substr(start, end - start);
    bad = part.empty() || part == "." || part == "..";
    start = end + 1;
  }
  if (bad) throw error(errc::invalid_argument, "unsafe bundle path '" + std::string(p) + "'");
}

}  // namespace

struct evidence_file::impl {
  io::file_sink file;
  io::hashing_sink hasher{&file};
  explicit impl(const fs::path& p) : file(p, 0600) {}
};

evidence_file::evidence_file(partial_bundle& bundle, std::string relative, fs::path full)
    : bundle_(bundle), impl_(std::make_unique<impl>(full)) {
  record_.path = std::move(relative);
}

evidence_file::~evidence_file() {
  if (!record_.sha256.empty()) return;
  // Unfinished (its step failed): no file of a bundle may be missing from SHA256SUMS.
  const fs::path full = bundle_.directory() / record_.path;
  impl_.reset();
  ::unlink(full.c_str());
}

void evidence_file::write(std::span<const std::byte> bytes) { impl_->hasher.write(bytes); }

void evidence_file::finish() {
  impl_->hasher.finish();
  record_.size = impl_->hasher.bytes();
  record_.sha256 = impl_->hasher.hex_digest();
  bundle_.add(record_);
}

partial_bundle::partial_bundle(const fs::path& out_dir, std::string name)
    : out_dir_(out_dir), name_(std::move(name)) {
  check_relative(name_);
  if (name_.find('/') != std::string::npos) {
    throw error(errc::invalid_argument, "bundle name '" + name_ + "' holds a '/'");
  }
  struct stat st {};
  if (::stat(out_dir_.c_str(), &st) != 0) {
    // Not errc::not_found: that code (and its exit status) means an unknown container.
    const int err = errno;
    if (err == EACCES) throw_errno("output directory " + out_dir_.string(), err);
    throw error(errc::io, "output directory " + out_dir_.string() + ": " + std::strerror(err));
  }
  if (!S_ISDIR(st.st_mode)) throw error(errc::io, out_dir_.string() + " is not a directory");
  if (::access(out_dir_.c_str(), W_OK | X_OK) != 0) {
    throw_errno("output directory " + out_dir_.string() + " is not writable", errno);
  }
  if (::lstat(final_directory().c_str(), &st) == 0) {
    throw error(errc::conflict, final_directory().string() + " already exists");
  }
  directory_ = out_dir_ / (name_ + ".partial");
  make_directory(directory_);
}

partial_bundle::~partial_bundle() = default;

std::unique_ptr<evidence_file> partial_bundle::create(std::string_view relative) {
  check_relative(relative);
  if (relative == "SHA256SUMS" || files_.count(std::string(relative))) {
    throw error(errc::conflict, "bundle file " + std::string(relative) + " written twice");
  }
  make_parents(relative);
  return std::unique_ptr<evidence_file>(
      new evidence_file(*this, std::string(relative), directory_ / std::string(relative)));
}

void partial_bundle::make_parents(std::string_view relative) {
  for (std::size_t slash = relative.find('/'); slash != std::string_view::npos;
       slash = relative.find('/', slash + 1)) {
    fs::path dir = directory_ / std::string(relative.substr(0, slash));
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) make_directory(dir);
  }
}

fs::path partial_bundle::reserve(std::string_view relative) {
  check_relative(relative);
  make_parents(relative);
  return directory_ / std::string(relative);
}

file_record partial_bundle::adopt(std::string_view relative) {
  check_relative(relative);
  const fs::path full = directory_ / std::string(relative);
  struct stat st {};
  if (::lstat(full.c_str(), &st) != 0) throw_errno("cannot adopt " + full.string(), errno);
  if (!S_ISREG(st.st_mode)) throw error(errc::io, full.string() + " is not a regular file");
  ::chmod(full.c_str(), 0600);
  file_record r{std::string(relative), static_cast<std::uint64_t>(st.st_size),
                io::sha256_file(full)};
  add(r);
  return r;
}

file_record partial_bundle::write_file(std::string_view relative, std::string_view content) {
  auto f = create(relative);
  f->write(io::as_bytes(content));
  f->finish();
  return f->record();
}

fs::path partial_bundle::commit() {
  if (committed_) return directory_;
  {
    io::file_sink sums(directory_ / "SHA256SUMS", 0600);
    sums.write(io::as_bytes(sha256sums_text(files_)));
    sums.finish();
  }
  // Every directory's entries must be durable before the rename publishes them.
  for (auto it = fs::recursive_directory_iterator(directory_); it != fs::end(it); ++it) {
    if (fs::is_directory(it->symlink_status())) sync_directory(it->path());
  }
  sync_directory(directory_);
  const fs::path final_dir = final_directory();
  if (::renameat2(AT_FDCWD, directory_.c_str(), AT_FDCWD, final_dir.c_str(), RENAME_NOREPLACE) !=
      0) {
    throw_errno("cannot rename " + directory_.string() + " to " + final_dir.string(), errno);
  }
  sync_directory(out_dir_);
  directory_ = final_dir;
  committed_ = true;
  return directory_;
}

std::string sha256sums_text(const std::map<std::string, file_record>& files) {
  std::string out;
  for (const auto& [path, r] : files) out += r.sha256 + "  " + path + "\n";
  return out;
}

std::map<std::string, std::string> parse_sha256sums(std::string_view text) {
  std::map<std::string, std::string> out;
  std::size_t line_no = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.empty()) continue;
    bool hex = line.size() > 66;
    for (std::size_t i = 0; hex && i < 64; ++i) {
      hex = std::isxdigit(static_cast<unsigned char>(line[i])) && !std::isupper(line[i]);
    }
    if (!hex || line[64] != ' ' || (line[65] != ' ' && line[65] != '*')) {
      throw error(errc::parse,
                  "SHA256SUMS line " + std::to_string(line_no) + " is not '<sha256>  <path>'");
    }
    out[std::string(line.substr(66))] = std::string(line.substr(0, 64));
  }
  return out;
}

}  // namespace forensic::evidence
