// Hostile containers: a container that builds, from its own command line, everything an
// attacker inside can plant for the responder's tools: file names with newlines, ANSI escapes
// and invalid UTF-8, a path longer than PATH_MAX, links out of the root (absolute, relative,
// through /proc/self) at the very paths the collector reads, FIFOs and device nodes there too,
// processes whose argv is control bytes; then a sparse 10 GiB file, then 100,000 small files.
// ir-ps, ir-collect, ir-verify and ir-analyze run on it: nothing of the host comes in, nothing
// hangs (every tool runs under timeout(1)), no raw control byte reaches their output, and
// every artifact checks with standard tools.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/testbed.hpp"

namespace fs = std::filesystem;
using namespace forensic::testing;

namespace {

// A tool under timeout(1): a hang fails the test with status 124 instead of stalling ctest.
command_result run_bounded(const std::string& name, const std::vector<std::string>& args,
                           int seconds = 300) {
  std::vector<std::string> argv{"timeout", "-k", "10", std::to_string(seconds), tool(name)};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

// What a terminal would get: printable text, newlines and tabs only.
void check_no_control_bytes(const std::string& text, const char* what) {
  std::size_t bad = 0;
  for (unsigned char ch : text) {
    if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f) ++bad;
  }
  INFO(what << ": " << text.substr(0, 2000));
  CHECK(bad == 0);
}

void check_clean_output(const command_result& r, const char* what) {
  check_no_control_bytes(r.out, what);
  check_no_control_bytes(r.err, what);
}

// Waits for the container's own "READY" line (cheap, unlike docker diff on 100k files).
void wait_ready(const testbed& bed, const std::string& name, int seconds) {
  for (int i = 0; i < seconds * 4; ++i) {
    if (run({"docker", "logs", name}).out.find("READY") != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  FAIL("container " << name << " never got ready: " << bed.docker({"logs", name}));
}

// The host file the container's links aim at: its content must never appear in a bundle.
struct host_marker {
  temp_dir dir{"irt-marker"};
  std::string secret = "IRT-HOST-SECRET-" + std::to_string(::getpid()) + "-do-not-collect";
  fs::path file = dir.path / "secret";
  host_marker() { std::ofstream(file) << secret << "\n"; }
};

std::string planting_script(const std::string& marker) {
  // clang-format off
  return "set -e; M=" + marker + R"SH(
mkdir -p /h; cd /h
touch "$(printf 'new\nline')" "$(printf 'esc\033]0;pwned\007\033[31mred\033[0m')" \
      "$(printf 'bad\377\376utf8')" "$(printf 'del\177bell\007')"
c=$(head -c 255 /dev/zero | tr '\0' d)
i=0; while [ $i -lt 15 ]; do mkdir $c; cd $c; i=$((i+1)); done
echo deep > "$(head -c 252 /dev/zero | tr '\0' e)end"; cd /h
ln -s /etc/shadow abs-shadow; ln -s ../../../../etc/hostname rel-hostname
ln -s $M marker-abs; ln -s ../../../../../../../..$M marker-rel
rm -f /etc/shadow; ln -s $M /etc/shadow
mkdir -p /root/.ssh; ln -s ../../../../../../..$M /root/.ssh/authorized_keys
ln -s /proc/self/root$M /root/.bash_history
ln -s /proc/1/root/../../../..$M /root/.ash_history
mkfifo /h/fifo /etc/crontab
mknod /h/zero c 1 5; mknod /h/disk b 7 0; mknod /etc/sudoers c 1 5; mknod /etc/ld.so.preload b 7 0
mkdir "/tmp/$(printf 'bin\033[2J\r')"; ln -s /bin/busybox "/tmp/$(printf 'bin\033[2J\r')/sleep"
"/tmp/$(printf 'bin\033[2J\r')/sleep" 3600 &
sh -c 'sleep 3600; :' "$(printf '\033]0;owned\007\033[2J\r\001\002\377')" &
echo "READY $(printf '\033[31mred log\033[0m \001')"
exec sleep 3600
)SH";
  // clang-format on
}

}  // namespace

TEST_CASE("hostile: odd names, links out, FIFOs, devices and control-byte argv stay inside" *
          doctest::timeout(600)) {
  if (!engine_available()) return;
  testbed bed;
  host_marker marker;
  // The container's own command carries control bytes too (ir-ps shows it).
  const auto name = bed.container(
      "odd", {"--network", "none", "--cap-add", "MKNOD"},
      {"sh", "-c", planting_script(marker.file.string()), "\x1b]0;cmd-title\x07\x1b[2J"});
  wait_ready(bed, name, 120);

  auto ps = run_bounded("ir-ps", {"--all"}, 60);
  CHECK(ps.exit_code == 0);
  CHECK(ps.out.find(name) != std::string::npos);
  check_clean_output(ps, "ir-ps");
  auto ps_json = run_bounded("ir-ps", {"--all", "--json"}, 60);
  CHECK(ps_json.exit_code == 0);
  check_clean_output(ps_json, "ir-ps --json");
  CHECK(nlohmann::json::accept(ps_json.out));

  temp_dir out;
  const auto started = std::chrono::steady_clock::now();
  auto r = run_bounded("ir-collect", {name, "--out", out.path.string(), "--case", "HOSTILE",
                                      "--remove-image", "--json"});
  std::printf("hostile names/links/devices: ir-collect %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  INFO(r.err);
  REQUIRE((r.exit_code == 0 || r.exit_code == 1));
  check_clean_output(r, "ir-collect");
  const auto result = nlohmann::json::parse(r.out);
  // Allowed failures: network (module pending); diff: dockerd itself cannot lstat a path
  // beyond PATH_MAX and says so; export: the engine can leave such a path out, which the
  // collector says, having taken it from the host (deep-paths.tar).
  bool export_flagged = false;
  for (const auto& f : result["failures"]) {
    INFO(f.dump());
    const std::string message = f["message"].get<std::string>();
    const bool long_path_diff =
        f["artifact"] == "diff" && message.find("file name too long") != std::string::npos;
    const bool long_path_export = f["artifact"] == "export" &&
                                  message.find("PATH_MAX") != std::string::npos &&
                                  message.find("filesystem/deep-paths.tar") != std::string::npos;
    export_flagged |= long_path_export;
    CHECK((f["artifact"] == "network" || long_path_diff || long_path_export));
  }
  CHECK(export_flagged);
  const fs::path bundle = result["bundle"].get<std::string>();
  CHECK(state_of(bed, name) == "true false\n");

  // Exact artifacts: standard tools agree with the bundle's own records.
  CHECK(sh("cd '" + bundle.string() + "' && sha256sum -c --quiet SHA256SUMS").exit_code == 0);
  auto listing =
      run({"tar", "--quoting-style=escape", "-tvf", (bundle / "filesystem/export.tar").string()});
  CHECK(listing.exit_code == 0);
  for (const char* odd :
       {"h/new\\nline", "h/esc\\033]0;pwned\\a\\033[31mred\\033[0m", "h/bad\\377\\376utf8",
        "h/del\\177bell\\a", "h/abs-shadow -> /etc/shadow", "h/marker-abs -> "}) {
    INFO(odd);
    CHECK(listing.out.find(odd) != std::string::npos);
  }
  CHECK(listing.out.find("\nprw") != std::string::npos);  // the FIFO, as a FIFO
  CHECK(listing.out.find("\ncrw") != std::string::npos);  // char device, as a node
  CHECK(listing.out.find("\nbrw") != std::string::npos);  // block device, as a node
  std::size_t longest = 0;
  for (std::size_t pos = 0; pos < listing.out.size();) {
    auto end = listing.out.find('\n', pos);
    if (end == std::string::npos) end = listing.out.size();
    const std::string line = listing.out.substr(pos, end - pos);
    // From "/h/" to the end (the listing has no leading "/").
    if (line.find("h/ddd") != std::string::npos) {
      longest = std::max(longest, line.size() - line.find("h/ddd") + 1);
    }
    pos = end + 1;
  }
  // dockerd's export silently leaves out the 4098-byte path itself (its own lstat fails);
  // the 3842-byte directory chain above it is there. Reported, not asserted: engine behaviour.
  CHECK(listing.out.find(std::string(255, 'd') + "/\n") != std::string::npos);
  std::printf("hostile: deepest exported path %zu bytes; the 4098-byte one %s\n", longest,
              longest >= 4096 ? "is in the export" : "was left out by the engine");
  // Whatever the engine did, the bundle has it: read from the host by directory fds.
  std::string deep_path = "h/";
  for (int i = 0; i < 15; ++i) deep_path += std::string(255, 'd') + "/";
  deep_path += std::string(252, 'e') + "end";
  auto deep = run({"tar", "-xOf", (bundle / "filesystem/deep-paths.tar").string(), deep_path});
  CHECK(deep.exit_code == 0);
  CHECK(deep.out == "deep\n");

  // Nothing of the host: no marker content, no host shadow line, none of the planted key
  // files (links out, FIFO, devices) copied.
  CHECK(run({"grep", "-rqF", marker.secret, bundle.string()}).exit_code == 1);
  const std::string host_shadow = slurp("/etc/shadow");
  const std::string root_line = host_shadow.substr(0, host_shadow.find('\n'));
  if (!root_line.empty()) CHECK(run({"grep", "-rqF", root_line, bundle.string()}).exit_code == 1);
  for (const char* planted :
       {"etc/shadow", "root/.ssh/authorized_keys", "root/.bash_history", "root/.ash_history",
        "etc/crontab", "etc/sudoers", "etc/ld.so.preload"}) {
    INFO(planted);
    CHECK_FALSE(fs::exists(bundle / "files" / planted));
  }
  CHECK(fs::exists(bundle / "files/etc/passwd"));

  // The control-byte argv is recorded exactly, as JSON escapes, never as raw bytes.
  const std::string procs_text = slurp(bundle / "processes/processes.json");
  check_no_control_bytes(procs_text, "processes.json");
  const auto procs = nlohmann::json::parse(procs_text);
  bool saw_title = false, saw_odd_exe = false;
  for (const auto& p : procs["processes"]) {
    const std::string argv = p["cmdline"].dump();
    // Not valid UTF-8 (\377): escaped for JSON as text, and the field flagged as escaped.
    if (argv.find("\\\\x1b]0;owned\\\\x07") != std::string::npos) {
      saw_title = true;
      CHECK(p["escaped_fields"].dump().find("cmdline") != std::string::npos);
    }
    saw_odd_exe |= argv.find("bin\\u001b[2J\\r/sleep") != std::string::npos;
  }
  CHECK(saw_title);
  CHECK(saw_odd_exe);
  check_no_control_bytes(slurp(bundle / "manifest.json"), "manifest.json");
  check_no_control_bytes(slurp(bundle / "custody.jsonl"), "custody.jsonl");

  auto verify = run_bounded("ir-verify", {bundle.string()}, 120);
  CHECK(verify.exit_code == 0);
  check_clean_output(verify, "ir-verify");
  auto analyze = run_bounded("ir-analyze", {bundle.string()}, 300);
  CHECK(analyze.exit_code == 0);
  check_clean_output(analyze, "ir-analyze");
  CHECK(analyze.out.find("bin\\x1b") != std::string::npos);  // the odd exe, escaped
  auto analyze_json = run_bounded("ir-analyze", {bundle.string(), "--json"}, 300);
  CHECK(analyze_json.exit_code == 0);
  check_clean_output(analyze_json, "ir-analyze --json");
  CHECK(nlohmann::json::accept(analyze_json.out));
  // The file taken from beyond PATH_MAX is a finding of its own, with its content.
  const auto analysis = nlohmann::json::parse(analyze_json.out);
  bool deep_finding = false;
  for (const auto& f : analysis["findings"]) {
    deep_finding |= f["kind"] == "beyond_path_max" &&
                    f["details"].value("content_head", std::string()) == "deep\n";
  }
  CHECK(deep_finding);
  sh("docker images -q 'forensic/hostile-" + name + "' | xargs -r docker rmi -f >/dev/null");
}

TEST_CASE("hostile: a sparse 10 GiB file is exported exactly without 10 GiB on disk" *
          doctest::timeout(600)) {
  if (!engine_available()) return;
  testbed bed;
  const auto name =
      bed.container("sparse", {"--network", "none"},
                    {"sh", "-c", "truncate -s 10G /sparse && echo READY && exec sleep 3600"});
  wait_ready(bed, name, 60);
  temp_dir out;
  // No commit: it would write the 10 GiB for real into the engine's own storage.
  const auto started = std::chrono::steady_clock::now();
  auto r = run_bounded(
      "ir-collect",
      {name, "--out", out.path.string(), "--artifacts", "inspect,processes,files,logs,diff,export"},
      540);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  check_clean_output(r, "ir-collect");
  const fs::path bundle = r.out.substr(0, r.out.find('\n'));
  struct stat st {};
  REQUIRE(::stat((bundle / "filesystem/export.tar").c_str(), &st) == 0);
  std::printf("sparse 10 GiB: export.tar %.2f GiB long, %.1f MiB on disk, ir-collect %.0f s\n",
              static_cast<double>(st.st_size) / (1 << 30),
              static_cast<double>(st.st_blocks) * 512 / (1 << 20), seconds);
  CHECK(st.st_size > (10ll << 30));
  CHECK(st.st_blocks * 512 < (64ll << 20));
  CHECK(run({"tar", "-tf", (bundle / "filesystem/export.tar").string(), "sparse"}).exit_code == 0);
  // The digest recorded while streaming is the digest of the holes read back as zeros.
  CHECK(run_bounded("ir-verify", {bundle.string()}, 300).exit_code == 0);
  CHECK(state_of(bed, name) == "true false\n");
}

TEST_CASE("hostile: 100,000 small files are collected whole (time measured)" *
          doctest::timeout(600)) {
  if (!engine_available()) return;
  testbed bed;
  const auto name =
      bed.container("many", {"--network", "none"},
                    {"sh", "-c",
                     "set -e; mkdir /many; cd /many; i=0; while [ $i -lt 100 ]; do mkdir d$i; "
                     "(cd d$i && seq 1000 | sed 's/^/f/' | xargs touch); i=$((i+1)); done; "
                     "echo READY; exec sleep 3600"});
  wait_ready(bed, name, 300);
  temp_dir out;
  const auto started = std::chrono::steady_clock::now();
  auto r = run_bounded("ir-collect",
                       {name, "--out", out.path.string(), "--case", "MANY", "--remove-image"}, 540);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("100,000 small files: ir-collect (all default artifacts) %.1f s\n", seconds);
  INFO(r.err);
  REQUIRE((r.exit_code == 0 || r.exit_code == 1));
  check_clean_output(r, "ir-collect");
  const fs::path bundle = r.out.substr(0, r.out.find('\n'));
  auto listing = run({"tar", "-tf", (bundle / "filesystem/export.tar").string()});
  std::size_t files = 0;
  for (std::size_t pos = listing.out.find("many/d"); pos != std::string::npos;
       pos = listing.out.find("many/d", pos + 1)) {
    const auto end = listing.out.find('\n', pos);
    if (listing.out.substr(pos, end - pos).find("/f") != std::string::npos) ++files;
  }
  CHECK(files == 100000);
  const auto diff = nlohmann::json::parse(slurp(bundle / "engine/diff.json"));
  CHECK(diff.size() > 100000);
  CHECK(run_bounded("ir-verify", {bundle.string()}, 300).exit_code == 0);
  const auto analyze_started = std::chrono::steady_clock::now();
  auto analyze = run_bounded("ir-analyze", {bundle.string(), "--json"}, 300);
  std::printf(
      "100,000 small files: ir-analyze %.1f s\n",
      std::chrono::duration<double>(std::chrono::steady_clock::now() - analyze_started).count());
  CHECK(analyze.exit_code == 0);
  CHECK(state_of(bed, name) == "true false\n");
  sh("docker images -q 'forensic/many-" + name + "' | xargs -r docker rmi -f >/dev/null");
}
