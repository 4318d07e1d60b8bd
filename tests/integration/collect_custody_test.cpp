// What an auditor checks in a bundle, against the real engine: the host clock, who collected
// (behind sudo), the original metadata of each key file, the key that signed the manifest, and
// that the committed image does not outlive the collection unless asked.
#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/testbed.hpp"

namespace fs = std::filesystem;
using namespace forensic::testing;

namespace {

// The image id the collector committed, from its custody note "committed image <id> as ...".
std::string committed_image(const fs::path& bundle) {
  const std::string custody = slurp(bundle / "custody.jsonl");
  const std::string marker = "committed image ";
  const auto at = custody.find(marker);
  if (at == std::string::npos) return {};
  const auto start = at + marker.size();
  return custody.substr(start, custody.find(' ', start) - start);
}

bool image_exists(const std::string& id) {
  return !id.empty() && run({"docker", "image", "inspect", id}).exit_code == 0;
}

}  // namespace

TEST_CASE(
    "collect: the manifest names the clock, the operator behind sudo, the signing key; "
    "key files keep their metadata; the committed image is removed" *
    doctest::timeout(180)) {
  if (!engine_available()) return;
  testbed bed;
  const auto name = bed.container("custody", {"--network", "none"});
  temp_dir keys;
  const auto priv = keys.path / "key.pem", pub = keys.path / "pub.pem";
  REQUIRE(run({"openssl", "genpkey", "-algorithm", "ed25519", "-out", priv.string()}).exit_code ==
          0);
  REQUIRE(
      run({"openssl", "pkey", "-in", priv.string(), "-pubout", "-out", pub.string()}).exit_code ==
      0);
  // SHA-256 of the raw 32-byte key: the last 32 bytes of its DER SubjectPublicKeyInfo.
  const auto fingerprint = sh("openssl pkey -pubin -in '" + pub.string() +
                              "' -outform DER | tail -c 32 | sha256sum | cut -c1-64");
  REQUIRE(fingerprint.exit_code == 0);
  const std::string key_sha256 = fingerprint.out.substr(0, 64);

  temp_dir out;
  auto r =
      run({"env", "SUDO_USER=alice", tool("ir-collect"), name, "--out", out.path.string(), "--case",
           "CUST", "--artifacts", "inspect,files,commit", "--sign", priv.string(), "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const fs::path bundle = nlohmann::json::parse(r.out)["bundle"].get<std::string>();
  const auto m = nlohmann::json::parse(slurp(bundle / "manifest.json"));

  // The clock every time in the bundle was read from.
  REQUIRE(m["clock"].is_object());
  CHECK_FALSE(m["clock"]["source"].get<std::string>().empty());
  CHECK(m["clock"]["synchronized"].is_boolean());
  CHECK(m["clock"]["esterror_us"].is_number_integer());
  CHECK(m["clock"]["maxerror_us"].is_number_integer());

  // Who: sudo's user is the operator, and every fact behind it is kept.
  CHECK(m["operator"] == "alice");
  const auto& who = m["operator_identity"];
  CHECK(who["uid"] == 0);
  CHECK(who["sudo_user"] == "alice");
  CHECK(who.contains("login_uid"));
  CHECK(who.contains("login_name"));
  CHECK(who["given"] == "");

  // Each key file's metadata as it was before the copy read it.
  const auto files = nlohmann::json::parse(slurp(bundle / "files/files.json"));
  const nlohmann::json* passwd = nullptr;
  for (const auto& f : files["files"]) {
    if (f["path"] == "/etc/passwd") passwd = &f;
  }
  REQUIRE(passwd != nullptr);
  CHECK((*passwd)["inode"].get<std::uint64_t>() > 0);
  CHECK((*passwd)["mode"] == 0644);
  CHECK((*passwd)["mode_octal"] == "0644");
  CHECK((*passwd)["uid"] == 0);
  CHECK((*passwd)["size"].get<std::uint64_t>() == fs::file_size(bundle / "files/etc/passwd"));
  CHECK((*passwd)["mtime_ns"].get<long long>() > 1000000000LL * 1000000000LL);
  CHECK((*passwd)["atime_ns"].is_number_integer());
  CHECK((*passwd)["ctime_ns"].is_number_integer());
  CHECK((*passwd)["bundle_path"] == "files/etc/passwd");

  // The key that signs, named in the manifest and by ir-verify.
  CHECK(m["signature"]["algorithm"] == "ed25519");
  CHECK(m["signature"]["public_key_sha256"] == key_sha256);
  const auto verified = run_tool("ir-verify", {bundle.string(), "--pubkey", pub.string()});
  CHECK(verified.exit_code == 0);
  CHECK(verified.out.find("signature: valid under key sha256 " + key_sha256) != std::string::npos);
  const auto verified_json =
      run_tool("ir-verify", {bundle.string(), "--pubkey", pub.string(), "--json"});
  CHECK(nlohmann::json::parse(verified_json.out)["signature"]["key_sha256"] == key_sha256);

  // Nothing the collection made stays in the engine: the image is in the bundle only.
  const std::string image = committed_image(bundle);
  REQUIRE(image.size() > 10);
  CHECK(fs::file_size(bundle / "image/commit.tar") > 0);
  CHECK_FALSE(image_exists(image));
  CHECK(slurp(bundle / "custody.jsonl").find("removed committed image " + image) !=
        std::string::npos);

  // --keep-image keeps it; --remove-image is still accepted.
  temp_dir kept_out;
  auto kept =
      run_tool("ir-collect", {name, "--out", kept_out.path.string(), "--case", "CUST",
                              "--artifacts", "commit", "--keep-image", "--remove-image", "--json"});
  INFO(kept.err);
  REQUIRE(kept.exit_code == 0);
  const fs::path kept_bundle = nlohmann::json::parse(kept.out)["bundle"].get<std::string>();
  const std::string kept_image = committed_image(kept_bundle);
  CHECK(image_exists(kept_image));
  if (!kept_image.empty()) run({"docker", "rmi", "-f", kept_image});
  CHECK(state_of(bed, name) == "true false\n");
}
