// The bundle on disk: atomic commit, SHA256SUMS, verification of directories and archives,
// reproducible archives, Ed25519 signatures, reading inside a root without escaping it.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "forensic/error.hpp"
#include "forensic/evidence/archive.hpp"
#include "forensic/evidence/bundle.hpp"
#include "forensic/evidence/fleet.hpp"
#include "forensic/evidence/manifest.hpp"
#include "forensic/evidence/signature.hpp"
#include "forensic/evidence/verify.hpp"
#include "forensic/io/sha256.hpp"
#include "forensic/proc/root_files.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"

namespace fs = std::filesystem;
using namespace forensic;
using forensic::testing::slurp;
using forensic::testing::temp_dir;

namespace {

// A small but complete bundle, as the collector would leave it.
fs::path make_bundle(const fs::path& out, const std::string& name = "case-web-20261123T090000Z") {
  evidence::partial_bundle b(out, name);
  evidence::manifest m;
  m.case_id = "case";
  auto add = [&](const std::string& path, const std::string& content) {
    auto r = b.write_file(path, content);
    m.artifacts.push_back({"test", r.path, r.size, r.sha256, "", "", "unit test"});
  };
  add("engine/container-inspect.json", "{\"Id\": \"abc\"}\n");
  add("logs/stdout.log", "2026-11-23T09:00:00Z out\n");
  add("filesystem/export.tar", std::string(3 << 20, 'x'));  // several megabytes
  b.write_file("manifest.json", evidence::to_json(m).dump(2));
  return b.commit();
}

void flip_byte(const fs::path& file, std::size_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 1));
}

}  // namespace

TEST_CASE("evidence: a committed bundle has exact modes, SHA256SUMS and verifies") {
  temp_dir out;
  const fs::path dir = make_bundle(out.path);
  CHECK(dir == out.path / "case-web-20261123T090000Z");
  CHECK_FALSE(fs::exists(out.path / "case-web-20261123T090000Z.partial"));
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(::stat((dir / "logs/stdout.log").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat((dir / "logs").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  auto sums = evidence::parse_sha256sums(slurp(dir / "SHA256SUMS"));
  CHECK(sums.size() == 4);
  CHECK(sums.at("filesystem/export.tar") == io::sha256_file(dir / "filesystem/export.tar"));
  // The standard tool agrees.
  auto check = testing::sh("cd '" + dir.string() + "' && sha256sum -c --quiet SHA256SUMS");
  CHECK(check.exit_code == 0);
  CHECK(evidence::verify_bundle(dir).ok());
}

TEST_CASE("evidence: verification reports modified, missing and extra files") {
  temp_dir out;
  const fs::path dir = make_bundle(out.path);
  flip_byte(dir / "filesystem/export.tar", 1 << 20);
  auto r = evidence::verify_bundle(dir);
  CHECK_FALSE(r.ok());
  CHECK(r.modified == std::vector<std::string>{"filesystem/export.tar"});

  fs::remove(dir / "logs/stdout.log");
  std::ofstream(dir / "planted") << "x";
  r = evidence::verify_bundle(dir);
  CHECK(r.missing == std::vector<std::string>{"logs/stdout.log"});
  CHECK(r.extra == std::vector<std::string>{"planted"});
}

TEST_CASE("evidence: an uncommitted bundle stays .partial and never verifies") {
  temp_dir out;
  {
    evidence::partial_bundle b(out.path, "case-x-1");
    b.write_file("a.txt", "a");
    auto unfinished = b.create("big.tar");
    unfinished->write(io::as_bytes("half"));
  }  // destroyed without commit, as on Ctrl-C
  CHECK_FALSE(fs::exists(out.path / "case-x-1"));
  REQUIRE(fs::exists(out.path / "case-x-1.partial"));
  CHECK_FALSE(fs::exists(out.path / "case-x-1.partial/big.tar"));  // unfinished file removed
  CHECK_FALSE(evidence::verify_bundle(out.path / "case-x-1.partial").ok());
  // And the same name cannot be taken twice.
  CHECK_THROWS_AS(evidence::partial_bundle(out.path, "case-x-1"), forensic::error);
}

TEST_CASE("evidence: an unwritable output directory is refused before anything is written") {
  CHECK_THROWS_AS(evidence::partial_bundle("/nonexistent/out", "n"), forensic::error);
  temp_dir out;
  CHECK_THROWS_AS(evidence::partial_bundle(out.path, "../escape"), forensic::error);
}

TEST_CASE("evidence: archives are reproducible and verify like the directory") {
  temp_dir out;
  const fs::path dir = make_bundle(out.path);
  for (auto format : {evidence::archive_format::tar, evidence::archive_format::tar_zst}) {
    auto first = evidence::pack_bundle(dir, format);
    const std::string bytes = slurp(first.path);
    fs::remove(first.path);
    fs::remove(first.checksum);
    auto second = evidence::pack_bundle(dir, format);
    CHECK(slurp(second.path) == bytes);
    CHECK(second.sha256 == io::sha256_file(second.path));
    CHECK(slurp(second.checksum) == second.sha256 + "  " + second.path.filename().string() + "\n");
    CHECK(evidence::verify_bundle(second.path).ok());
    auto list = testing::run({"tar", "-tf", second.path.string()});
    CHECK(list.out.find("case-web-20261123T090000Z/filesystem/export.tar") != std::string::npos);
  }
  auto tar = out.path / "case-web-20261123T090000Z.tar";
  fs::remove(out.path / "case-web-20261123T090000Z.tar.sha256");
  flip_byte(tar, 4096);  // inside a file's data block
  CHECK_FALSE(evidence::verify_bundle(tar).ok());
}

TEST_CASE("evidence: Ed25519 signatures of the manifest") {
  temp_dir keys;
  const auto priv = keys.path / "key.pem", pub = keys.path / "pub.pem";
  REQUIRE(testing::run({"openssl", "genpkey", "-algorithm", "ed25519", "-out", priv.string()})
              .exit_code == 0);
  REQUIRE(testing::run({"openssl", "pkey", "-in", priv.string(), "-pubout", "-out", pub.string()})
              .exit_code == 0);
  const std::string sig = evidence::sign_ed25519(priv, "manifest");
  CHECK(sig.size() == 64);
  CHECK(evidence::verify_ed25519(pub, "manifest", sig));
  CHECK_FALSE(evidence::verify_ed25519(pub, "manifesT", sig));
  CHECK_THROWS_AS(evidence::sign_ed25519(keys.path / "absent.pem", "m"), forensic::error);
}

TEST_CASE("evidence: files are read inside a root, never through links that leave it") {
  temp_dir root;
  fs::create_directories(root.path / "etc");
  std::ofstream(root.path / "etc/passwd") << "root:x:0:0::/root:/bin/sh\n";
  // Planted by a hostile container: absolute and relative escapes to the host's files.
  fs::create_symlink("/etc/hostname", root.path / "etc/hostlink");
  fs::create_symlink("../../../../../../etc/hostname", root.path / "etc/dotdot");
  fs::create_symlink("/etc/passwd", root.path / "etc/inside");

  io::string_sink s;
  proc::copy_in_root(root.path, "/etc/passwd", s);
  CHECK(s.str() == "root:x:0:0::/root:/bin/sh\n");
  CHECK_THROWS_AS(proc::open_in_root(root.path, "/etc/hostlink"), forensic::error);
  CHECK_THROWS_AS(proc::open_in_root(root.path, "/etc/dotdot"), forensic::error);
  io::string_sink inside;
  proc::copy_in_root(root.path, "/etc/inside", inside);  // resolved as the container sees it
  CHECK(inside.str() == s.str());
  CHECK_THROWS_AS(proc::open_in_root(root.path, "/etc"), forensic::error);  // not a file
}

TEST_CASE("evidence: a directory that is not a bundle is said so without hashing it") {
  temp_dir out;
  const fs::path tree = out.path / "not-a-bundle";
  fs::create_directories(tree / "sub");
  std::ofstream(tree / "sub" / "big.bin") << std::string(1 << 20, 'x');
  const auto r = evidence::verify_bundle(tree);
  CHECK(r.not_a_bundle);
  CHECK_FALSE(r.ok());
  CHECK(r.files_checked == 0);  // nothing hashed
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].find("not an evidence bundle") != std::string::npos);
  CHECK(evidence::to_json(r)["not_a_bundle"] == true);
  // A bundle that lost its SHA256SUMS still has its manifest: verified (and failing), not
  // dismissed as "not a bundle".
  const fs::path bundle = make_bundle(out.path);
  fs::remove(bundle / "SHA256SUMS");
  const auto damaged = evidence::verify_bundle(bundle);
  CHECK_FALSE(damaged.not_a_bundle);
  CHECK(damaged.files_checked > 0);
  CHECK_FALSE(damaged.ok());
}

TEST_CASE("fleet: each fetched archive is hashed and verified here, host facts are not trusted") {
  temp_dir work;
  // A real archive fetched from host "web-1", its digest as the host recorded it.
  fs::create_directories(work.path / "host-side");
  const fs::path bundle = make_bundle(work.path / "host-side");
  const auto packed = evidence::pack_bundle(bundle, evidence::archive_format::tar);
  const fs::path out = work.path / "out";
  fs::create_directories(out / "web-1");
  fs::copy_file(packed.path, out / "web-1" / packed.path.filename());
  const std::string id(64, 'a');
  const nlohmann::json web1 = {
      {"reached", true},
      {"locate",
       {{"schema", "forensic.locate/1"},
        {"found", true},
        // Names and ids come from the host: only 64-hex ids are taken.
        {"matches", {{{"container_id", id}}, {{"container_id", "../../evil"}}, {{"kind", "x"}}}}}},
      {"contained", true},
      {"playbook_rc", 0},
      {"archives",
       {{{"host_path", "/var/tmp/e/" + packed.path.filename().string()},
         {"sha256_on_host", packed.sha256}},
        // A copy that differs from what the host had, and one that never arrived.
        {{"host_path", "/var/tmp/e/other.tar"}, {"sha256_on_host", std::string(64, '0')}},
        {{"host_path", "/var/tmp/e/lost.tar"}, {"sha256_on_host", std::string(64, '1')}}}}};
  std::ofstream(out / "web-1" / "host.json") << web1.dump();
  fs::copy_file(packed.path, out / "web-1" / "other.tar");
  fs::create_directories(out / "web-2");
  std::ofstream(out / "web-2" / "host.json")
      << nlohmann::json{{"reached", false}, {"error", "ssh: connect refused"}}.dump();

  const auto r = evidence::assemble_fleet(out, {"web-1", "web-2", "web-3", "../etc"}, "192.0.2.7");
  const auto j = evidence::to_json(r);
  CHECK(j["schema"] == "forensic.fleet/1");
  CHECK(j["address"] == "192.0.2.7");
  const auto& h1 = j["hosts"]["web-1"];
  CHECK(h1["reached"] == true);
  CHECK(h1["found"] == true);
  CHECK(h1["containers"] == nlohmann::json::array({id}));
  CHECK(h1["playbook_rc"] == 0);
  REQUIRE(h1["bundles"].size() == 3);
  CHECK(h1["bundles"][0]["transfer_intact"] == true);
  CHECK(h1["bundles"][0]["verified"] == true);
  CHECK(h1["bundles"][0]["sha256_here"] == packed.sha256);
  CHECK(h1["bundles"][0]["verification"]["ok"] == true);
  CHECK(h1["bundles"][1]["transfer_intact"] == false);
  CHECK(h1["bundles"][1]["verified"] == false);
  CHECK(h1["bundles"][1]["verify_output"].get<std::string>().find("differs") != std::string::npos);
  CHECK(h1["bundles"][2]["verified"] == false);
  CHECK(h1["bundles"][2]["sha256_here"] == "");
  CHECK(j["hosts"]["web-2"]["reached"] == false);
  CHECK(j["hosts"]["web-2"]["error"] == "ssh: connect refused");
  CHECK(j["hosts"]["web-2"]["bundles"].empty());
  CHECK(j["hosts"]["web-3"]["reached"] == false);
  CHECK(j["hosts"]["web-3"]["error"] == "no result: the play stopped before it");
  CHECK(j["hosts"]["../etc"]["reached"] == false);
  CHECK_THROWS_AS(evidence::assemble_fleet(work.path / "nowhere", {"a"}, "x"), error);
}
