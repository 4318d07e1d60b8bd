// Fault injection: what ir-collect (and ir-ps) do when the world breaks under them. Each case
// ends with one clear line on stderr, the documented exit status (tools/cli/exit_codes.hpp),
// the container unpaused, and no directory that ir-verify accepts unless it is a sealed,
// honest record of what was collected.
//
// The engine killed mid-collection is played by the fake engine (tests/support/fake_engine),
// not by killing the shared dockerd: four other people run integration tests on that engine
// at the same time, and a dockerd restart without live-restore stops every container on the
// host. The fake cuts the export mid-body and removes its socket (what a killed dockerd looks
// like from the client: a cut stream, then connection refused), and optionally comes back.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "support/fake_engine.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/testbed.hpp"

namespace fs = std::filesystem;
using namespace forensic::testing;

namespace {

// A tmpfs mounted for one test, unmounted (lazily, whatever happened) at the end.
struct tmpfs_mount {
  temp_dir dir;
  explicit tmpfs_mount(const std::string& options) {
    REQUIRE(::mount("tmpfs", dir.path.c_str(), "tmpfs", 0, options.c_str()) == 0);
  }
  tmpfs_mount(const std::string& options, unsigned long flags) {
    REQUIRE(::mount("tmpfs", dir.path.c_str(), "tmpfs", flags, options.c_str()) == 0);
  }
  ~tmpfs_mount() { ::umount2(dir.path.c_str(), MNT_DETACH); }
};

// stderr is exactly one line of printable text (no progress bar: stderr is not a terminal).
void check_one_clear_line(const std::string& err) {
  INFO("stderr: " << err);
  REQUIRE(!err.empty());
  CHECK(err.back() == '\n');
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);
  for (unsigned char ch : err) {
    if (ch != '\n') CHECK((ch >= 0x20 && ch != 0x7f));
  }
}

// Whatever is left in `out` after a failed collection: only .partial directories, and
// ir-verify refuses each.
void check_nothing_verifiable(const fs::path& out) {
  for (const auto& e : fs::directory_iterator(out)) {
    INFO(e.path().string());
    CHECK(e.path().extension() == ".partial");
    CHECK(run_tool("ir-verify", {e.path().string()}).exit_code == 1);
  }
}

std::size_t entries_in(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), {}));
}

// --- the scripted engine --------------------------------------------------------------------

const std::string fixture_id = "ecdd7f1aedf55de2412622c78a29d1f9f67181fa64c23875524304872af083cd";

std::string fixture(const std::string& name) {
  return slurp(fs::path(FORENSIC_FIXTURES_DIR) / "engine" / name);
}

enum class export_fault {
  die,             // cut the export mid-body, remove the socket, never come back
  die_and_return,  // the same, and the socket comes back 450 ms later (a quick restart)
  stall,           // send part of the export, then nothing
};

// A recorded container (fx-default, running) whose export breaks as `fault` says. Records
// whether an unpause reached it.
struct scripted_engine {
  export_fault fault;
  std::atomic<bool> paused{false};
  std::atomic<bool> unpaused{false};
  std::atomic<bool> cut{false};
  std::atomic<bool> stop_stalling{false};
  std::unique_ptr<fake_engine> fake;
  std::thread restarter;

  explicit scripted_engine(export_fault f) : fault(f) {
    const std::string version = fixture("version.json");
    const std::string list = fixture("containers_json.json");
    const std::string inspect = fixture("inspect_fx-default.json");
    fake = std::make_unique<fake_engine>(
        [this, version, list, inspect](const std::string& head, const auto& send) {
          const std::string target = head.substr(0, head.find(" HTTP/"));
          if (target.starts_with("GET /version")) return send(http_response(200, version));
          if (target.find("/containers/json") != std::string::npos) {
            return send(http_response(200, list));
          }
          if (target.find("/containers/" + fixture_id + "/json") != std::string::npos) {
            return send(http_response(200, inspect));
          }
          if (target.starts_with("POST") && target.ends_with("/unpause")) {
            unpaused = true;
            return send(http_response(204, "", "text/plain"));
          }
          if (target.starts_with("POST") && target.ends_with("/pause")) {
            paused = true;
            return send(http_response(204, "", "text/plain"));
          }
          if (target.find("/_ping") != std::string::npos) {
            return send(http_response(200, "OK", "text/plain"));
          }
          if (target.ends_with("/export")) return export_body(send);
          send(http_response(404, R"({"message":"not scripted"})"));
        });
  }

  template <class Send>
  void export_body(const Send& send) {
    send(
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string block(64 * 1024, 'T');
    for (int i = 0; i < 16; ++i) send(chunk(block));  // 1 MiB of a tar that never ends
    if (fault == export_fault::stall) {
      for (int i = 0; i < 200 && !stop_stalling; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      return;
    }
    // Killed: the socket goes first (new connections are refused), then this stream is cut.
    // (No doctest assertion here: this runs on the fake's connection thread.)
    const std::string path = fake->socket_path();
    cut = ::link(path.c_str(), (path + ".down").c_str()) == 0 && ::unlink(path.c_str()) == 0;
    send("");
    if (fault == export_fault::die_and_return) {
      restarter = std::thread([path] {
        std::this_thread::sleep_for(std::chrono::milliseconds(450));
        ::rename((path + ".down").c_str(), path.c_str());
      });
    }
  }

  ~scripted_engine() {
    stop_stalling = true;
    if (restarter.joinable()) restarter.join();
    ::unlink((fake->socket_path() + ".down").c_str());  // so that the fake can remove its dir
    fake.reset();
  }
};

// Runs a tool, returning its exit status and its peak resident memory (wait4's ru_maxrss,
// KiB: the kernel's own high-water mark, exact where polling VmHWM could miss a peak).
struct measured {
  int exit_code = -1;
  long max_rss_kib = 0;
};

measured run_measured(const std::vector<std::string>& argv, const fs::path& out_file,
                      const fs::path& err_file) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t child = ::fork();
  if (child == 0) {
    // Only async-signal-safe calls here: the test may have other threads.
    const int out_fd = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err_fd = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out_fd < 0 || err_fd < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) ::_exit(126);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  rusage usage{};
  ::wait4(child, &status, 0, &usage);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), usage.ru_maxrss};
}

}  // namespace

TEST_CASE("fault: permission denied on the engine socket is exit 4 with one line" *
          doctest::timeout(60)) {
  if (!engine_available()) return;
  testbed bed;
  const auto name = bed.container("perm", {"--network", "none"});
  temp_dir out;
  fs::permissions(out.path, fs::perms::all);  // nobody could write: the engine refuses first
  const std::vector<std::string> as_nobody{"setpriv", "--reuid=65534", "--regid=65534",
                                           "--clear-groups"};
  auto collect = as_nobody;
  for (const auto& a : {tool("ir-collect"), name, std::string("--out"), out.path.string()}) {
    collect.push_back(a);
  }
  auto r = run(collect);
  CHECK(r.exit_code == 4);
  check_one_clear_line(r.err);
  CHECK(r.err.find("permission denied") != std::string::npos);
  CHECK(r.err.find("docker group") != std::string::npos);
  CHECK(fs::is_empty(out.path));
  CHECK(state_of(bed, name) == "true false\n");

  auto ps = as_nobody;
  ps.push_back(tool("ir-ps"));
  r = run(ps);
  CHECK(r.exit_code == 4);
  check_one_clear_line(r.err);
}

TEST_CASE("fault: --out on a full tmpfs is exit 6, container unpaused, nothing verifiable" *
          doctest::timeout(180)) {
  if (!engine_available()) return;
  testbed bed;
  const auto name = bed.container(
      "full", {"--network", "none"},
      {"sh", "-c", "head -c 33554432 /dev/urandom > /big && touch /ready && exec sleep 3600"});
  wait_for_marker(bed, name, "/ready", "the 32 MiB file", 60);
  tmpfs_mount small("size=8m,mode=0700");
  auto r = run_tool("ir-collect",
                    {name, "--out", small.dir.path.string(), "--case", "FULL", "--remove-image"});
  CHECK(r.exit_code == 6);
  check_one_clear_line(r.err);
  CHECK(r.err.find("No space left on device") != std::string::npos);
  CHECK(r.err.find(".partial is kept and never verifies") != std::string::npos);
  CHECK(r.out.empty());  // no bundle path printed
  CHECK(state_of(bed, name) == "true false\n");
  CHECK(entries_in(small.dir.path) == 1);
  check_nothing_verifiable(small.dir.path);
  // The unfinished export was removed, not left to hold the disk full.
  for (const auto& e : fs::directory_iterator(small.dir.path)) {
    CHECK_FALSE(fs::exists(e.path() / "filesystem/export.tar"));
  }
  sh("docker images -q 'forensic/full-" + name + "' | xargs -r docker rmi -f >/dev/null");
}

TEST_CASE("fault: --out on a read-only mount is exit 4 before anything is paused" *
          doctest::timeout(60)) {
  if (!engine_available()) return;
  testbed bed;
  const auto name = bed.container("ro", {"--network", "none"});
  tmpfs_mount read_only("size=1m", MS_RDONLY);
  auto r = run_tool("ir-collect", {name, "--out", read_only.dir.path.string()});
  CHECK(r.exit_code == 4);
  check_one_clear_line(r.err);
  CHECK(r.err.find("Read-only file system") != std::string::npos);
  CHECK(fs::is_empty(read_only.dir.path));
  CHECK(state_of(bed, name) == "true false\n");
}

TEST_CASE("fault: the container removed during a large export gives an honest record" *
          doctest::timeout(300)) {
  if (!engine_available()) return;
  testbed bed;
  const auto name = bed.container(
      "removed", {"--network", "none"},
      {"sh", "-c", "head -c 1000000000 /dev/zero > /big && touch /ready && exec sleep 3600"});
  wait_for_marker(bed, name, "/ready", "the large file", 60);
  temp_dir out;
  const fs::path out_file = out.path / "stdout", err_file = out.path / "stderr";
  const fs::path bundles = out.path / "bundles";
  fs::create_directory(bundles);
  std::atomic<int> exit_code{-1};
  std::thread collector([&] {
    exit_code = run_measured({tool("ir-collect"), name, "--out", bundles.string(), "--artifacts",
                              "inspect,processes,logs,export,commit", "--remove-image", "--json"},
                             out_file, err_file)
                    .exit_code;
  });
  bool removed = false;
  for (int i = 0; i < 1200 && !removed; ++i) {
    for (const auto& e : fs::directory_iterator(bundles)) {
      std::error_code ec;
      // As soon as the export starts: the removal must land before the commit that follows.
      if (fs::exists(e.path() / "filesystem/export.tar", ec)) {
        removed = run({"docker", "rm", "-f", name}).exit_code == 0;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  collector.join();
  CHECK(removed);
  const std::string err = slurp(err_file);
  INFO("stderr: " << err);
  INFO("stdout: " << slurp(out_file));
  // The export had started: dockerd keeps the layer until it is done, so it is whole; the image
  // is made from it, not from the container (gone by then), so it is whole too: exit 0.
  CHECK(exit_code == 0);
  const auto result = slurp(out_file);
  const auto at = result.find("\"bundle\": \"");
  REQUIRE(at != std::string::npos);
  const std::string bundle = result.substr(at + 11, result.find('"', at + 11) - at - 11);
  CHECK(sh("cd '" + bundle + "' && sha256sum -c --quiet SHA256SUMS").exit_code == 0);
  CHECK(run({"tar", "-tf", bundle + "/filesystem/export.tar"}).out.find("big\n") !=
        std::string::npos);
  // The image's one layer is the export, byte for byte.
  const auto layers = run({"tar", "-tf", bundle + "/image/commit.tar"}).out;
  CHECK(layers.find("/layer.tar\n") != std::string::npos);
  CHECK(slurp(fs::path(bundle) / "custody.jsonl").find("from the export") != std::string::npos);
  auto v = run_tool("ir-verify", {bundle});
  CHECK(v.exit_code == 0);
  CHECK(v.out.find("NOT COLLECTED") == std::string::npos);
  CHECK(run({"docker", "inspect", name}).exit_code != 0);
}

TEST_CASE("fault: a container writing 1 GiB of logs is collected in bounded memory" *
          doctest::timeout(600)) {
  if (!engine_available()) return;
  testbed bed;
  // 1000-byte lines; the local driver (uncompressed, one 2 GiB file, so nothing rotates
  // away) reads back several times faster than json-file on this 2-core machine.
  const std::string line(999, 'L');
  const auto name = bed.container(
      "logs",
      {"--network", "none", "--log-driver", "local", "--log-opt", "max-size=2g", "--log-opt",
       "max-file=1", "--log-opt", "compress=false"},
      {"sh", "-c", "yes " + line + " | head -c 1073741824; touch /ready; exec sleep 3600"});
  wait_for_marker(bed, name, "/ready", "1 GiB of logs", 300);
  temp_dir out;
  const fs::path bundles = out.path / "bundles";
  fs::create_directory(bundles);
  const auto started = std::chrono::steady_clock::now();
  const auto m = run_measured({tool("ir-collect"), name, "--out", bundles.string(), "--artifacts",
                               "inspect,processes,logs,diff,export"},
                              out.path / "stdout", out.path / "stderr");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  INFO(slurp(out.path / "stderr"));
  CHECK(m.exit_code == 0);
  std::printf("1 GiB of logs: ir-collect peak RSS %.1f MiB, %.0f s\n", m.max_rss_kib / 1024.0,
              seconds);
  CHECK(m.max_rss_kib < 64 * 1024);
  const std::string bundle =
      slurp(out.path / "stdout").substr(0, slurp(out.path / "stdout").find('\n'));
  std::error_code ec;
  const auto size = fs::file_size(fs::path(bundle) / "logs/stdout.log", ec);
  CHECK(size >= (1ull << 30));  // every byte, plus the engine's timestamps
  CHECK(state_of(bed, name) == "true false\n");
}

TEST_CASE("fault: the engine killed mid-export and back at once: exit 3, unpaused, .partial" *
          doctest::timeout(60)) {
  scripted_engine engine(export_fault::die_and_return);
  temp_dir out;
  auto r =
      run_tool("ir-collect", {"fx-default", "--out", out.path.string(), "--artifacts",
                              "inspect,export", "--host", engine.fake->uri(), "--timeout", "5"});
  CHECK(r.exit_code == 3);
  check_one_clear_line(r.err);
  CHECK(r.err.find("closed the connection") != std::string::npos);
  CHECK(r.err.find("no longer answers") != std::string::npos);
  CHECK(r.err.find("PAUSED") == std::string::npos);
  CHECK(engine.paused);
  CHECK(engine.cut);
  CHECK(engine.unpaused);
  CHECK(entries_in(out.path) == 1);
  check_nothing_verifiable(out.path);
}

TEST_CASE("fault: the engine killed mid-export for good: exit 3 and the line says paused" *
          doctest::timeout(60)) {
  scripted_engine engine(export_fault::die);
  temp_dir out;
  auto r =
      run_tool("ir-collect", {"fx-default", "--out", out.path.string(), "--artifacts",
                              "inspect,export", "--host", engine.fake->uri(), "--timeout", "5"});
  CHECK(r.exit_code == 3);
  check_one_clear_line(r.err);
  CHECK(r.err.find("is still PAUSED") != std::string::npos);
  CHECK(r.err.find("docker unpause " + fixture_id) != std::string::npos);
  CHECK(engine.paused);
  CHECK_FALSE(engine.unpaused);
  check_nothing_verifiable(out.path);
}

TEST_CASE("fault: an engine that stalls mid-export: --timeout fires once, exit 3, unpaused" *
          doctest::timeout(60)) {
  scripted_engine engine(export_fault::stall);
  temp_dir out;
  const auto started = std::chrono::steady_clock::now();
  auto r =
      run_tool("ir-collect", {"fx-default", "--out", out.path.string(), "--artifacts",
                              "inspect,export", "--host", engine.fake->uri(), "--timeout", "1"});
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(r.exit_code == 3);
  check_one_clear_line(r.err);
  CHECK(r.err.find("did not answer within 1 s") != std::string::npos);
  CHECK(engine.unpaused);
  CHECK(took < std::chrono::seconds(8));
  check_nothing_verifiable(out.path);
}

TEST_CASE("fault: an engine that never answers: exit 3, one line, nothing written" *
          doctest::timeout(60)) {
  fake_engine silent([](const std::string&, const auto&) {
    std::this_thread::sleep_for(std::chrono::seconds(3));
  });
  temp_dir out;
  for (const char* name : {"ir-collect", "ir-ps"}) {
    std::vector<std::string> args{"--host", silent.uri(), "--timeout", "1"};
    if (std::string(name) == "ir-collect") {
      args.insert(args.begin(), {"web", "--out", out.path.string()});
    }
    auto r = run_tool(name, args);
    INFO(name);
    CHECK(r.exit_code == 3);
    check_one_clear_line(r.err);
    CHECK(r.err.find("did not answer within 1 s") != std::string::npos);
  }
  CHECK(fs::is_empty(out.path));
}

TEST_CASE("fault: ir-isolate against a stalled engine: exit 3 and no rule of ours written" *
          doctest::timeout(60)) {
  // Only a silent engine here: a scripted inspect would hand the isolator the recorded
  // container's address, which may be a live container's on this shared host.
  const auto our_rules = [] {
    // Our case only: other people's isolation tests may run on this host meanwhile.
    const std::string tag = "forensic-quarantine:[0-9a-f]*:IRT-FAULT-" + std::to_string(::getpid());
    return sh("{ iptables-save; ip6tables-save; } 2>/dev/null | grep -c '" + tag + "'").out;
  };
  const std::string before = our_rules();
  fake_engine silent([](const std::string&, const auto&) {
    std::this_thread::sleep_for(std::chrono::seconds(3));
  });
  auto r = run_tool("ir-isolate", {"web", "--case", "IRT-FAULT-" + std::to_string(::getpid()),
                                   "--host", silent.uri(), "--timeout", "1"});
  CHECK(r.exit_code == 3);
  check_one_clear_line(r.err);
  CHECK(r.err.find("did not answer within 1 s") != std::string::npos);
  CHECK(our_rules() == before);
}

TEST_CASE("fault: TLS material missing: exit 3 and one line naming the file and endpoint") {
  temp_dir certs;  // empty: no ca.pem
  auto r = run({"env", "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=" + certs.path.string(),
                tool("ir-ps"), "--host", "tcp://127.0.0.1:9"});
  CHECK(r.exit_code == 3);
  check_one_clear_line(r.err);
  CHECK(r.err.find((certs.path / "ca.pem").string()) != std::string::npos);
  CHECK(r.err.find("tcp://127.0.0.1:9") != std::string::npos);
}

TEST_CASE("fault: ir-verify on a directory that is not a bundle: one line at once, exit 1") {
  temp_dir tree;
  std::ofstream(tree.path / "data.bin") << std::string(1 << 20, 'x');
  auto r = run_tool("ir-verify", {tree.path.string()});
  CHECK(r.exit_code == 1);
  INFO("stdout: " << r.out);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
  CHECK(r.out.find("not an evidence bundle") != std::string::npos);
  CHECK(r.out.find("nothing was hashed") != std::string::npos);
}
