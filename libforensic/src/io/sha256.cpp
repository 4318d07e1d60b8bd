#include "forensic/io/sha256.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "forensic/error.hpp"
#include "forensic/io/hashing_sink.hpp"
#include "forensic/io/no_atime.hpp"
#include "forensic/io/unique_fd.hpp"
#include "io/c_handles.hpp"

namespace forensic::io {
namespace {

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

std::string sha256_file(const std::filesystem::path& path) {
  // O_NOATIME: a running container's executables are hashed through /proc/<pid>/exe.
  unique_fd fd = open_no_atime(AT_FDCWD, path.c_str(), O_RDONLY | O_CLOEXEC);
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

}  // namespace forensic::io
