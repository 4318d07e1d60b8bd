// Custody facts of a collection: the signing key's fingerprint, the operator behind sudo, key
// file metadata from fstat, and how the manifest writes them.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "evidence/custody_facts.hpp"
#include "forensic/error.hpp"
#include "forensic/evidence/manifest.hpp"
#include "forensic/evidence/signature.hpp"
#include "forensic/io/unique_fd.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"

using namespace forensic;
namespace fs = std::filesystem;

TEST_CASE("custody: the signing key is named by the SHA-256 of its raw public key") {
  testing::temp_dir keys;
  const auto priv = keys.path / "key.pem", pub = keys.path / "pub.pem";
  REQUIRE(testing::run({"openssl", "genpkey", "-algorithm", "ed25519", "-out", priv.string()})
              .exit_code == 0);
  REQUIRE(testing::run({"openssl", "pkey", "-in", priv.string(), "-pubout", "-out", pub.string()})
              .exit_code == 0);
  const auto expected = testing::sh("openssl pkey -pubin -in '" + pub.string() +
                                    "' -outform DER | tail -c 32 | sha256sum | cut -c1-64");
  REQUIRE(expected.exit_code == 0);
  const std::string fingerprint = evidence::ed25519_public_key_sha256(pub);
  CHECK(fingerprint == expected.out.substr(0, 64));
  CHECK(evidence::ed25519_public_key_sha256(priv) == fingerprint);  // its public half
  CHECK_THROWS_AS(evidence::ed25519_public_key_sha256(keys.path / "absent.pem"), forensic::error);
}

TEST_CASE("custody: the operator behind sudo, and the name given first") {
  const char* before = std::getenv("SUDO_USER");
  const std::string saved = before ? before : "";
  struct restore {
    bool had;
    std::string value;
    ~restore() {
      if (had)
        ::setenv("SUDO_USER", value.c_str(), 1);
      else
        ::unsetenv("SUDO_USER");
    }
  } restore_sudo_user{before != nullptr, saved};
  ::setenv("SUDO_USER", "alice", 1);
  auto o = evidence::detail::read_operator("");
  CHECK(o.uid == ::getuid());
  CHECK(o.sudo_user == "alice");
  CHECK(evidence::detail::operator_display_name(o) == "alice");
  o = evidence::detail::read_operator("bob");
  CHECK(evidence::detail::operator_display_name(o) == "bob");
  ::unsetenv("SUDO_USER");
  o = evidence::detail::read_operator("");
  CHECK(o.sudo_user.empty());
  if (o.login_uid) CHECK(evidence::detail::operator_display_name(o) == o.login_name);
  CHECK_FALSE(evidence::detail::operator_display_name(o).empty());
}

TEST_CASE("custody: key file metadata comes from fstat of the open file") {
  testing::temp_dir dir;
  const auto file = dir.path / "passwd";
  std::ofstream(file) << "root:x:0:0::/root:/bin/sh\n";
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  io::unique_fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd);
  const auto facts = evidence::detail::file_metadata(fd.get(), file.string());
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK(facts["inode"] == st.st_ino);
  CHECK(facts["mode"] == 0640);
  CHECK(facts["mode_octal"] == "0640");
  CHECK(facts["size"] == 26);
  CHECK(facts["uid"] == st.st_uid);
  CHECK(facts["mtime_ns"] ==
        static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec);
}

TEST_CASE("custody: the manifest writes clock, operator identity, digests and signer") {
  evidence::manifest m;
  m.operator_name = "alice";
  m.operator_identity.sudo_user = "alice";
  m.clock.source = "kvm-clock";
  m.clock.synchronized = false;
  m.clock.esterror_us = 16000;
  auto j = evidence::to_json(m);
  CHECK(j["operator"] == "alice");
  CHECK(j["operator_identity"]["sudo_user"] == "alice");
  CHECK(j["operator_identity"]["login_uid"].is_null());
  CHECK(j["clock"]["source"] == "kvm-clock");
  CHECK(j["clock"]["synchronized"] == false);
  CHECK(j["clock"]["esterror_us"] == 16000);
  CHECK(j["clock"]["maxerror_us"].is_null());
  CHECK(j["signature"].is_null());
  CHECK(j["streamed_digests"].empty());
  m.signature_key_sha256 = std::string(64, 'a');
  m.streamed_digests.push_back(
      {"capture/capture.pcapng", std::string(64, '1'), std::string(64, '2')});
  j = evidence::to_json(m);
  CHECK(j["signature"]["algorithm"] == "ed25519");
  CHECK(j["signature"]["public_key_sha256"] == std::string(64, 'a'));
  CHECK(j["streamed_digests"][0]["match"] == false);
}

TEST_CASE("custody: the clock's source and NTP state, or why they are unknown") {
  const auto c = evidence::detail::read_clock_state();
  CHECK((!c.source.empty() || !c.error.empty()));
  if (c.synchronized) {
    REQUIRE(c.esterror_us.has_value());
    REQUIRE(c.maxerror_us.has_value());
    CHECK(*c.esterror_us >= 0);
    CHECK(*c.maxerror_us >= 0);
  } else {
    CHECK(c.error.find("ntp_adjtime") != std::string::npos);
  }
}
