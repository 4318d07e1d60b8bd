#pragma once
// Ed25519 signatures over the manifest (OpenSSL 3 EVP_PKEY). The signature is the raw 64
// bytes in `manifest.json.sig`; `openssl pkeyutl -verify -pubin -inkey pub.pem -rawin
// -in manifest.json -sigfile manifest.json.sig` checks it too.
#include <filesystem>
#include <string>
#include <string_view>

namespace forensic::evidence {

// Signs `message` with the PEM private key at `key_file`. Throws errc::crypto when the key
// cannot be read or is not Ed25519.
std::string sign_ed25519(const std::filesystem::path& key_file, std::string_view message);

// True when `signature` is valid for `message` under the PEM public key (or private key, whose
// public half is used). Throws errc::crypto when the key cannot be read.
bool verify_ed25519(const std::filesystem::path& key_file, std::string_view message,
                    std::string_view signature);

// The key's fingerprint: SHA-256 of the raw 32-byte Ed25519 public key, 64 lowercase hex digits
// (`openssl pkey -pubin -in pub.pem -outform DER | tail -c 32 | sha256sum` gives the same).
// `key_file` may hold the private or the public key. Throws errc::crypto like the others.
std::string ed25519_public_key_sha256(const std::filesystem::path& key_file);

}  // namespace forensic::evidence
