// The SOC formats from the real tools on a real scenario: ir-netmap --dot rendered by Graphviz's
// dot, ir-ps --format ecs|ocsf for a container holding the engine's socket, ir-locate --format
// ecs|ocsf for a container's address.
#include <doctest/doctest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/testbed.hpp"

using namespace forensic::testing;
using nlohmann::json;

namespace {

std::vector<json> lines_of(const std::string& text) {
  std::vector<json> out;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) out.push_back(json::parse(line));
  return out;
}

// How dot writes text into SVG: '-' as a character reference.
std::string in_svg(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '-' ? std::string("&#45;") : std::string(1, c);
  return out;
}

bool built(const char* name) { return ::access(tool(name).c_str(), X_OK) == 0; }

}  // namespace

TEST_CASE("formats: netmap as Graphviz, risk flags and locate answers as SIEM lines") {
  REQUIRE_MESSAGE(!(!engine_available() || ::geteuid() != 0 || !built("ir-netmap") ||
                    !built("ir-ps") || !built("ir-locate")),
                  "needs root, a Docker engine and ir-netmap/ir-ps/ir-locate");
  testbed tb;
  const std::string internal = tb.network("fmt-int", {"--internal"});
  const std::string c = tb.container(
      "fmt-priv", {"--network", internal, "-v", "/var/run/docker.sock:/var/run/docker.sock:ro"},
      {"sleep", "3600"});
  const std::string id = trim(tb.docker({"inspect", "-f", "{{.Id}}", c}));
  const std::string ip = trim(
      tb.docker({"inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", c}));
  REQUIRE_FALSE(ip.empty());

  // The whole map as DOT, rendered by dot: the container, its network and its address appear.
  auto dot = run_tool("ir-netmap", {"--dot"});
  INFO(dot.err);
  REQUIRE(dot.exit_code == 0);
  CHECK(dot.out.starts_with("digraph netmap {"));
  auto svg = run({"dot", "-Tsvg"}, dot.out);
  INFO(svg.err);
  REQUIRE(svg.exit_code == 0);
  CHECK(svg.out.find("<svg") != std::string::npos);
  CHECK(svg.out.find(in_svg(c)) != std::string::npos);
  CHECK(svg.out.find(in_svg(internal)) != std::string::npos);
  CHECK(svg.out.find(ip + "/") != std::string::npos);
  CHECK(svg.out.find("internal: no route out") != std::string::npos);

  // ir-ps: one ECS alert and one OCSF Detection Finding per risk flag of the container.
  auto ecs = run_tool("ir-ps", {"--format", "ecs", "--filter", "name=" + c});
  REQUIRE(ecs.exit_code == 0);
  bool privileged = false;
  for (const auto& e : lines_of(ecs.out)) {
    CHECK(e["event"]["kind"] == "alert");
    CHECK(e["container"]["id"] == id);
    privileged |= e["rule"]["id"] == "risk.DOCKER-SOCK" && e["event"]["severity"] == 4;
  }
  CHECK(privileged);
  auto ocsf = run_tool("ir-ps", {"--format", "ocsf", "--filter", "name=" + c});
  REQUIRE(ocsf.exit_code == 0);
  const auto findings = lines_of(ocsf.out);
  REQUIRE_FALSE(findings.empty());
  for (const auto& e : findings) {
    CHECK(e["class_uid"] == 2004);
    CHECK(e["type_uid"] == 200401);
    CHECK(e["finding_info"]["uid"].is_string());
  }
  CHECK(run_tool("ir-ps", {"--format", "xml"}).exit_code == 2);

  // ir-locate: the container owns the address; the answer as ECS and OCSF Network Activity.
  auto located = run_tool("ir-locate", {"--ip", ip, "--format", "ecs"});
  INFO(located.err);
  REQUIRE(located.exit_code == 0);
  bool owner = false;
  for (const auto& e : lines_of(located.out)) {
    CHECK(e["event"]["category"][0] == "network");
    owner |= e["event"]["action"] == "locate.owner" && e["container"]["id"] == id;
  }
  CHECK(owner);
  auto located_ocsf = run_tool("ir-locate", {"--ip", ip, "--format", "ocsf"});
  REQUIRE(located_ocsf.exit_code == 0);
  for (const auto& e : lines_of(located_ocsf.out)) CHECK(e["class_uid"] == 4001);

  // The shell playbook on a terminal (a pty from script(1)) shows its steps; collect and
  // analyse only, no capture.
  if (run({"sh", "-c", "command -v script"}).exit_code == 0 && built("ir-collect") &&
      built("ir-analyze") && built("ir-isolate")) {
    const std::string out = "/tmp/" + tb.prefix() + "-fmt-evidence";
    const std::string cmd = "FORENSIC_TOOLS_DIR=" + std::string(FORENSIC_TOOLS_DIR) + " bash " +
                            std::string(FORENSIC_SOURCE_DIR) +
                            "/playbooks/isolate-collect-analyze.sh " + id +
                            " --no-isolate --capture 0 --out " + out + " --case IT-" + tb.prefix();
    auto pty = run({"script", "-qefc", cmd, "/dev/null"});
    run({"rm", "-rf", out});
    INFO(pty.out);
    CHECK(pty.exit_code == 0);
    CHECK(pty.out.find("[step 1/2] collecting " + id.substr(0, 12)) != std::string::npos);
    CHECK(pty.out.find("[step 2/2] analysing " + id.substr(0, 12)) != std::string::npos);
    CHECK(pty.out.find("] isolating") == std::string::npos);
  }
}
