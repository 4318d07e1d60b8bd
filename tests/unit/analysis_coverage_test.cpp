// Coverage of a bundle (what it holds, what failed or was not taken, what that hides) and the
// network.json shape where a part the collector could not take is {"collected": false, ...}.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "forensic/analysis/analyzer.hpp"

using namespace forensic::analysis;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct scratch_bundle {
  fs::path root;
  scratch_bundle() {
    static int n = 0;
    root = fs::temp_directory_path() /
           ("coverage-bundle-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::create_directories(root);
  }
  ~scratch_bundle() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  void write(const std::string& rel, const std::string& content) {
    fs::create_directories((root / rel).parent_path());
    std::ofstream(root / rel, std::ios::binary) << content;
  }
};

const coverage_entry* entry(const analysis_report& r, const std::string& artifact) {
  for (const auto& e : r.coverage) {
    if (e.artifact == artifact) return &e;
  }
  return nullptr;
}

bool has(const analysis_report& r, const std::string& kind, const std::string& text) {
  for (const auto& f : r.findings) {
    if (f.kind == kind && f.summary.find(text) != std::string::npos) return true;
  }
  return false;
}

json record(const std::string& artifact, const std::string& path) {
  return {{"artifact", artifact}, {"path", path}, {"size", 1}, {"sha256", std::string(64, '0')}};
}

}  // namespace

TEST_CASE("coverage: every artifact is present, partial, failed, not collected or not asked") {
  scratch_bundle b;
  b.write("engine/container-inspect.json", "{}");
  b.write("processes/processes.json", R"({"processes": []})");
  b.write("filesystem/export.tar", "");
  b.write("network/network.json", R"({"sockets": [], "conntrack": []})");
  b.write("manifest.json",
          json{{"schema", "forensic.bundle/1"},
               {"artifacts", json::array({record("inspect", "engine/container-inspect.json"),
                                          record("processes", "processes/processes.json"),
                                          record("export", "filesystem/export.tar"),
                                          record("network", "network/network.json")})},
               {"failures", json::array({{{"artifact", "logs"},
                                          {"error", "engine_error"},
                                          {"message", "the engine refused the logs"}},
                                         {{"artifact", "export"},
                                          {"error", "engine_error"},
                                          {"message", "3 entries beyond PATH_MAX"}}})},
               {"not_collected",
                json::array({{{"artifact", "mounts"}, {"reason", "no mounts to copy"}}})}}
              .dump());
  const auto r = analyze_bundle(b.root);

  // Every artifact of the collector, and the ones later collectors add, in order.
  for (const char* name : {"inspect", "image", "processes", "files", "network", "logs", "diff",
                           "export", "commit", "capture", "mounts", "events", "bodyfile"}) {
    CHECK_MESSAGE(entry(r, name) != nullptr, name);
  }
  REQUIRE(entry(r, "inspect"));
  CHECK(entry(r, "inspect")->status == "present");
  CHECK(entry(r, "inspect")->hides.empty());
  CHECK(entry(r, "inspect")->files == std::vector<std::string>{"engine/container-inspect.json"});
  REQUIRE(entry(r, "logs"));
  CHECK(entry(r, "logs")->status == "failed");
  CHECK(entry(r, "logs")->reason == "the engine refused the logs");
  CHECK_FALSE(entry(r, "logs")->hides.empty());
  REQUIRE(entry(r, "export"));
  CHECK(entry(r, "export")->status == "partial");
  CHECK(entry(r, "export")->reason.find("PATH_MAX") != std::string::npos);
  REQUIRE(entry(r, "mounts"));
  CHECK(entry(r, "mounts")->status == "not_collected");
  CHECK(entry(r, "mounts")->reason == "no mounts to copy");
  REQUIRE(entry(r, "capture"));
  CHECK(entry(r, "capture")->status == "not_asked");
  CHECK(entry(r, "capture")->hides.find("no packet-level view") != std::string::npos);
  REQUIRE(entry(r, "diff"));
  CHECK(entry(r, "diff")->status == "not_asked");

  // Coverage is not a finding, and probing for an artifact does not make it a missing file.
  CHECK(r.findings.size() == 1);  // "unverified": no SHA256SUMS
  CHECK(std::find(r.files_missing.begin(), r.files_missing.end(), "mounts/mounts.json") ==
        r.files_missing.end());

  const auto j = to_json(r);
  REQUIRE(j["coverage"].is_array());
  CHECK(j["coverage"][0]["artifact"] == "inspect");
  const std::string md = to_markdown(r);
  CHECK(md.find("## Coverage") != std::string::npos);
  CHECK(md.find("| logs | **failed** | the engine refused the logs |") != std::string::npos);
  CHECK(md.find("dropped files and persistence cannot be seen") != std::string::npos);
}

TEST_CASE("coverage: a bundle without network state says so") {
  scratch_bundle b;
  b.write("manifest.json", json{{"schema", "forensic.bundle/1"},
                                {"artifacts", json::array({record("inspect", "x.json")})}}
                               .dump());
  b.write("x.json", "{}");
  const auto r = analyze_bundle(b.root);
  const auto* net = entry(r, "network");
  REQUIRE(net);
  CHECK(net->status == "not_asked");
  CHECK(net->hides == "no sockets or flows: C2 over the network cannot be seen");
  CHECK(to_markdown(r).find("C2 over the network cannot be seen") != std::string::npos);

  // No manifest at all: nothing says why, and it is still listed.
  scratch_bundle bare;
  const auto r2 = analyze_bundle(bare.root);
  REQUIRE(entry(r2, "network"));
  CHECK(entry(r2, "network")->status == "absent");
  CHECK(entry(r2, "export")->hides == "dropped files and persistence cannot be seen");

  // The collector's failure is quoted.
  scratch_bundle failed;
  failed.write("manifest.json", json{{"schema", "forensic.bundle/1"},
                                     {"artifacts", json::array()},
                                     {"failures", json::array({{{"artifact", "network"},
                                                                {"error", "permission_denied"},
                                                                {"message", "netlink refused"}}})}}
                                    .dump());
  const auto r3 = analyze_bundle(failed.root);
  REQUIRE(entry(r3, "network"));
  CHECK(entry(r3, "network")->status == "failed");
  CHECK(entry(r3, "network")->reason == "netlink refused");
}

TEST_CASE("network.json: a part not collected is listed, never read as no sockets") {
  scratch_bundle b;
  b.write("network/network.json",
          json{{"sockets", {{"collected", false}, {"reason", "/proc/net refused"}}},
               {"conntrack", json::array({{{"protocol", "udp"},
                                           {"src", "172.18.0.2"},
                                           {"dst", "198.51.100.7"},
                                           {"dport", 53},
                                           {"status", json::array({"CONFIRMED"})}},
                                          {{"protocol", "tcp"},
                                           {"src", "172.18.0.2"},
                                           {"dst", "172.18.0.30"},
                                           {"dport", 443},
                                           {"state", "CLOSE"},
                                           {"assured", false},
                                           {"unreplied", false}},
                                          {{"protocol", "udp"},
                                           {"src", "172.18.0.2"},
                                           {"dst", "172.18.0.31"},
                                           {"orig_packets", 4},
                                           {"reply_packets", 0}},
                                          {{"protocol", "tcp"},
                                           {"src", "172.18.0.2"},
                                           {"dst", "172.18.0.32"},
                                           {"state", "ESTABLISHED"},
                                           {"assured", true},
                                           {"unreplied", false},
                                           {"status", "SEEN_REPLY ASSURED CONFIRMED"}}})},
               {"iptables", {{"collected", false}, {"reason", "iptables-save not found"}}}}
              .dump());
  b.write("processes/processes.json",
          json{{"processes",
                json::array({{{"pid", 9},
                              {"comm", "sh"},
                              {"fds", json::array({{{"fd", 3}, {"target", "socket:[5]"}}})}}})}}
              .dump());
  const auto r = analyze_bundle(b.root);
  for (const auto& w : r.warnings) CHECK(w.find("unexpected JSON structure") == std::string::npos);
  REQUIRE(entry(r, "network.sockets"));
  CHECK(entry(r, "network.sockets")->status == "not_collected");
  CHECK(entry(r, "network.sockets")->reason == "/proc/net refused");
  CHECK(entry(r, "network.sockets")->hides.find("C2") != std::string::npos);
  REQUIRE(entry(r, "network.iptables"));
  CHECK(entry(r, "network.iptables")->reason == "iptables-save not found");
  CHECK(entry(r, "network.conntrack") == nullptr);  // taken
  CHECK(r.sockets.empty());
  CHECK(has(r, "shell_with_socket", "sh (pid 9)"));  // the process part still ran

  // Unanswered flows are C2 candidates, by whatever the bundle records of them.
  CHECK(has(r, "unreplied_flow", "198.51.100.7"));  // status without SEEN_REPLY
  CHECK(has(r, "unreplied_flow", "172.18.0.30"));   // TCP never ASSURED
  CHECK(has(r, "unreplied_flow", "172.18.0.31"));   // nothing in the reply direction
  CHECK_FALSE(has(r, "unreplied_flow", "172.18.0.32"));
  CHECK(r.conntrack.size() == 4);
}
