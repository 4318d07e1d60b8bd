#include "forensic/evidence/signature.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <memory>

#include "forensic/error.hpp"
#include "io/c_handles.hpp"

namespace forensic::evidence {
namespace {

using io::c_file;
using io::evp_md_ctx;
using io::evp_pkey;

std::string openssl_error() {
  char buf[256] = "unknown OpenSSL error";
  if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

evp_pkey load_key(const std::filesystem::path& file, bool want_private) {
  c_file f(std::fopen(file.c_str(), "rb"));
  if (!f) throw error(errc::crypto, "cannot open key " + file.string());
  evp_pkey key(want_private ? PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr)
                            : PEM_read_PUBKEY(f.get(), nullptr, nullptr, nullptr));
  if (!key && !want_private) {  // a private key file also holds the public half
    std::rewind(f.get());
    key.reset(PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr));
  }
  if (!key) {
    throw error(errc::crypto, "cannot read " + std::string(want_private ? "private" : "public") +
                                  " key " + file.string() + ": " + openssl_error());
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) {
    throw error(errc::crypto, "key " + file.string() + " is not an Ed25519 key");
  }
  return key;
}

}  // namespace

std::string sign_ed25519(const std::filesystem::path& key_file, std::string_view message) {
  evp_pkey key = load_key(key_file, true);
  evp_md_ctx ctx(EVP_MD_CTX_new());
  std::size_t size = 0;
  // Ed25519 is one-shot (PureEdDSA): no digest name, no DigestSignUpdate.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    throw error(errc::crypto, "cannot sign with " + key_file.string() + ": " + openssl_error());
  }
  std::string sig(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &size,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    throw error(errc::crypto, "cannot sign with " + key_file.string() + ": " + openssl_error());
  }
  sig.resize(size);
  return sig;
}

bool verify_ed25519(const std::filesystem::path& key_file, std::string_view message,
                    std::string_view signature) {
  evp_pkey key = load_key(key_file, false);
  evp_md_ctx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    throw error(errc::crypto, "cannot verify with " + key_file.string() + ": " + openssl_error());
  }
  const int ok = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(message.data()), message.size());
  ERR_clear_error();
  return ok == 1;
}

std::string ed25519_public_key_sha256(const std::filesystem::path& key_file) {
  evp_pkey key = load_key(key_file, false);
  unsigned char raw[32];
  std::size_t size = sizeof raw;
  unsigned char digest[EVP_MAX_MD_SIZE];
  std::size_t digest_size = 0;
  if (EVP_PKEY_get_raw_public_key(key.get(), raw, &size) != 1 || size != sizeof raw ||
      EVP_Q_digest(nullptr, "SHA256", nullptr, raw, size, digest, &digest_size) != 1) {
    throw error(errc::crypto,
                "cannot read the public key of " + key_file.string() + ": " + openssl_error());
  }
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < digest_size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace forensic::evidence
