// The HTML report: self-contained (no script, nothing fetched), every bundle string escaped,
// findings by severity, coverage, the timeline and the placement drawn.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "forensic/formats/html.hpp"

namespace fs = std::filesystem;
using namespace forensic;
using nlohmann::json;

TEST_CASE("the HTML report escapes every bundle string and fetches nothing") {
  CHECK(formats::html_escape("<a href='x'>&\"\x1b[31m\x7f") ==
        "&lt;a href=&#39;x&#39;&gt;&amp;&quot;\\x1b[31m\\x7f");

  const fs::path bundle = fs::temp_directory_path() / ("html-bundle-" + std::to_string(::getpid()));
  fs::create_directories(bundle / "network");
  std::ofstream(bundle / "network/network.json") << json{
      {"interfaces",
       {{"collected", true},
        {"items",
         json::array({{{"name", "eth0"},
                       {"addresses", json::array({{{"address", "172.18.0.2"}, {"prefix", 16}}})},
                       {"host_veth", {{"name", "veth9f3a"}}},
                       {"bridge", "br-0123456789ab"},
                       {"network", "shop"}}})}}}}.dump();
  analysis::analysis_report r;
  r.bundle = bundle.string();
  r.container_id = std::string(64, 'a');
  r.container_name = "<script>alert(1)</script>";
  r.verification.status = "verified";
  r.findings.push_back({"filesystem", "temp_file", analysis::severity::high,
                        "file in /tmp: /tmp/<img src=x onerror=alert(1)>", "engine/diff.json",
                        "2026-11-23T09:00:03Z", json::object()});
  r.findings.push_back({"network", "remote_socket", analysis::severity::medium,
                        "nc has a tcp socket to 203.0.113.70:4444", "network/network.json", "",
                        json::object()});
  r.coverage.push_back({"network", "present", "", "", {"network/network.json"}});
  r.coverage.push_back({"capture", "not_asked", "", "no packet-level view", {}});
  r.timeline.push_back({"2020-01-01T00:00:00Z", "file_mtime", "modified /tmp/x",
                        "filesystem/bodyfile.txt", analysis::time_source::attacker_settable});
  r.timeline.push_back({"2026-11-23T09:00:00Z", "process_start", "nc (pid 1): nc",
                        "processes/processes.json", analysis::time_source::kernel});
  r.timeline.push_back({"2026-11-23T09:00:05Z", "exec", "exec started", "engine/events.jsonl",
                        analysis::time_source::engine});
  r.flows.push_back({"tcp", "172.18.0.2", "203.0.113.70", 40000, 4444, 3, 180, 0, 0,
                     "2026-11-23T09:00:01Z", "2026-11-23T09:00:02Z", 3, false, std::nullopt});

  const std::string html = formats::to_html(r);
  fs::remove_all(bundle);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  for (const char* tag : {"<link", "<iframe", "<object", "<embed", "<image", "src=\"", "href="}) {
    CHECK(html.find(tag) == std::string::npos);
  }
  CHECK(html.find("http://") == html.find("http://www.w3.org/2000/svg"));  // the SVG namespace
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("url(http") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
  CHECK(html.find("default-src 'none'") != std::string::npos);
  // Findings by severity, coverage, the timeline with the attacker-settable mark, the placement.
  CHECK(html.find("<h3>high</h3>") < html.find("<h3>medium</h3>"));
  CHECK(html.find("not collected") != std::string::npos);
  CHECK(html.find("class=\"settable\"") != std::string::npos);
  CHECK(html.find("id=\"placement-map\"") != std::string::npos);
  CHECK(html.find("veth veth9f3a") != std::string::npos);
  CHECK(html.find("bridge br-0123456789ab") != std::string::npos);
  CHECK(html.find("203.0.113.70") != std::string::npos);
}
