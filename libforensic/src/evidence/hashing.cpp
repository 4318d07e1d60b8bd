#include "forensic/evidence/hashing.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include "forensic/error.hpp"
#include "forensic/io/no_atime.hpp"
#include "forensic/io/unique_fd.hpp"

namespace forensic::evidence {
namespace {

template <auto Fn>
struct c_deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    if (p) Fn(p);
  }
};
using evp_md_ctx = std::unique_ptr<EVP_MD_CTX, c_deleter<&EVP_MD_CTX_free>>;
using evp_md = std::unique_ptr<EVP_MD, c_deleter<&EVP_MD_free>>;

const EVP_MD* sha256_algorithm() {
  // Fetched once: EVP_MD_fetch walks the provider tables, too slow to repeat per file.
  static const evp_md md{EVP_MD_fetch(nullptr, "SHA256", nullptr)};
  if (!md) throw error(errc::crypto, "OpenSSL has no SHA256 implementation");
  return md.get();
}

std::string to_hex(const unsigned char* data, unsigned size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (unsigned i = 0; i < size; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0xf];
  }
  return out;
}

}  // namespace

struct sha256::impl {
  evp_md_ctx ctx{EVP_MD_CTX_new()};
};

sha256::sha256() : impl_(std::make_unique<impl>()) {
  if (!impl_->ctx || EVP_DigestInit_ex2(impl_->ctx.get(), sha256_algorithm(), nullptr) != 1) {
    throw error(errc::crypto, "cannot initialise SHA-256");
  }
}
sha256::sha256(sha256&&) noexcept = default;
sha256& sha256::operator=(sha256&&) noexcept = default;
sha256::~sha256() = default;

void sha256::update(std::span<const std::byte> bytes) {
  if (EVP_DigestUpdate(impl_->ctx.get(), bytes.data(), bytes.size()) != 1) {
    throw error(errc::crypto, "SHA-256 update failed");
  }
}

std::string sha256::hex_digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  if (EVP_DigestFinal_ex(impl_->ctx.get(), md, &size) != 1) {
    throw error(errc::crypto, "SHA-256 final failed");
  }
  return to_hex(md, size);
}

std::string sha256::of(std::string_view text) {
  sha256 h;
  h.update(text);
  return h.hex_digest();
}

void hashing_sink::write(std::span<const std::byte> bytes) {
  hash_.update(bytes);
  bytes_ += bytes.size();
  if (next_) next_->write(bytes);
}

void hashing_sink::finish() {
  if (next_) next_->finish();
  digest_ = hash_.hex_digest();
}

file_sink::file_sink(const std::filesystem::path& path, unsigned mode) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd_ < 0) throw_errno("cannot create " + path.string(), errno);
}

file_sink::~file_sink() {
  if (syncer_.joinable()) syncer_.join();  // it uses fd_
  if (fd_ >= 0) ::close(fd_);
}

namespace {

bool all_zero(const std::byte* p, std::size_t size) {
  return size > 0 && p[0] == std::byte{0} && std::memcmp(p, p + 1, size - 1) == 0;
}

}  // namespace

void file_sink::write_all(const std::byte* p, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot write " + path_.string(), errno);
    }
    p += n;
    size -= static_cast<std::size_t>(n);
    written_ += static_cast<std::uint64_t>(n);
  }
}

// Writes whole blocks (the file offset is block-aligned here): runs of data in one write, runs of
// zero blocks seeked over.
void file_sink::write_blocks(const std::byte* p, std::size_t size) {
  const std::byte* run = p;
  std::size_t run_size = 0;
  for (; size >= block_size; p += block_size, size -= block_size) {
    if (!all_zero(p, block_size)) {
      run_size += block_size;
      ends_in_hole_ = false;
      continue;
    }
    write_all(run, run_size);
    run_size = 0;
    if (::lseek(fd_, static_cast<off_t>(block_size), SEEK_CUR) < 0) {
      throw_errno("cannot seek in " + path_.string(), errno);
    }
    written_ += block_size;
    ends_in_hole_ = true;
    run = p + block_size;
  }
  write_all(run, run_size);
}

void file_sink::write(std::span<const std::byte> bytes) {
  const std::byte* p = bytes.data();
  std::size_t left = bytes.size();
  if (partial_size_ > 0) {
    const std::size_t take = std::min(left, block_size - partial_size_);
    std::memcpy(partial_.data() + partial_size_, p, take);
    partial_size_ += take;
    p += take;
    left -= take;
    if (partial_size_ < block_size) return;
    write_blocks(partial_.data(), block_size);
    partial_size_ = 0;
  }
  const std::size_t whole = left - left % block_size;
  write_blocks(p, whole);
  partial_size_ = left - whole;
  if (partial_size_ > 0) std::memcpy(partial_.data(), p + whole, partial_size_);
  start_writeback();
}

void file_sink::start_writeback() {
  constexpr std::uint64_t writeback_step = 8u << 20;
  if (written_ - flushed_ < writeback_step) return;
  // Only hints (errors surface in fsync). Wait for the range handed to the disk one step ago
  // (done by now unless the disk is slower than the stream), then start writeback of the new
  // one: at most two steps are ever in flight, so the final fsync waits for milliseconds, not for
  // the hundreds of megabytes a fast transfer leaves dirty. (Direct I/O from a writer thread was
  // tried instead and measured no faster on a 512 MiB export.)
  if (flushed_ > waited_) {
    ::sync_file_range(
        fd_, static_cast<off_t>(waited_), static_cast<off_t>(flushed_ - waited_),
        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
    waited_ = flushed_;
  }
  ::sync_file_range(fd_, static_cast<off_t>(flushed_), static_cast<off_t>(written_ - flushed_),
                    SYNC_FILE_RANGE_WRITE);
  flushed_ = written_;
  start_background_sync();
}

void file_sink::start_background_sync() {
  constexpr std::uint64_t sync_step = 64u << 20;
  // Never waits: while the last one still runs, this step is skipped.
  if (written_ - synced_ < sync_step || sync_running_.load()) return;
  if (syncer_.joinable()) syncer_.join();  // finished: returns at once
  synced_ = written_;
  sync_running_ = true;
  try {
    syncer_ = std::thread([this, fd = fd_] {
      // An error is consumed by the call that sees it (errseq): keep it for finish().
      if (::fdatasync(fd) != 0 && errno != EINVAL) sync_error_ = errno;
      sync_running_ = false;
    });
  } catch (const std::system_error&) {
    sync_running_ = false;  // no thread to spare: finish() flushes it all, as it always can
  }
}

void file_sink::finish() {
  if (fd_ < 0) return;
  if (syncer_.joinable()) syncer_.join();
  if (const int e = sync_error_.load()) throw_errno("cannot sync " + path_.string(), e);
  if (partial_size_ > 0) {
    // The short last block: data is written; zeros only move the end, which ftruncate sets.
    if (all_zero(partial_.data(), partial_size_)) {
      written_ += partial_size_;
      ends_in_hole_ = true;
    } else {
      write_all(partial_.data(), partial_size_);
      ends_in_hole_ = false;
    }
    partial_size_ = 0;
  }
  if (ends_in_hole_ && ::ftruncate(fd_, static_cast<off_t>(written_)) != 0) {
    throw_errno("cannot size " + path_.string(), errno);
  }
  if (::fsync(fd_) != 0 && errno != EINVAL) throw_errno("cannot sync " + path_.string(), errno);
  io::unique_fd owned(fd_);
  fd_ = -1;
  owned.close(("cannot close " + path_.string()).c_str());
}

std::string sha256_file(const std::filesystem::path& path) {
  // O_NOATIME: a running container's executables are hashed through /proc/<pid>/exe.
  io::unique_fd fd = io::open_no_atime(AT_FDCWD, path.c_str(), O_RDONLY | O_CLOEXEC);
  if (!fd) throw_errno("cannot open " + path.string(), errno);
  sha256 h;
  std::vector<std::byte> block(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd.get(), block.data(), block.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot read " + path.string(), errno);
    }
    if (n == 0) break;
    h.update({block.data(), static_cast<std::size_t>(n)});
  }
  return h.hex_digest();
}

}  // namespace forensic::evidence
