// ECS and OCSF lines, Timesketch JSONL and the bodyfile hand-off, checked against the published
// definitions kept in tests/fixtures/siem/ (ECS fields.csv and categorization pages, OCSF class
// definitions; each file says where it came from) and against sleuthkit's mactime.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "forensic/analysis/analyzer.hpp"
#include "forensic/error.hpp"
#include "forensic/formats/siem.hpp"
#include "forensic/formats/timeline.hpp"
#include "forensic/io/address.hpp"
#include "forensic/io/sha256.hpp"
#include "forensic/io/time.hpp"
#include "support/process.hpp"

namespace fs = std::filesystem;
using namespace forensic;
using nlohmann::json;

namespace {

const fs::path fixtures = fs::path(FORENSIC_FIXTURES_DIR) / "siem";

struct ecs_reference {
  std::map<std::string, std::string> type_of;  // field -> ECS type
  std::map<std::string, std::set<std::string>> allowed;
};

ecs_reference load_ecs() {
  ecs_reference ref;
  std::ifstream csv(fixtures / "ecs-fields.csv");
  REQUIRE(csv);
  std::string line;
  std::getline(csv, line);  // header
  while (std::getline(csv, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    for (std::string c; cols.size() < 5 && std::getline(ss, c, ',');) cols.push_back(c);
    REQUIRE(cols.size() == 5);
    ref.type_of[cols[3]] = cols[4];
  }
  std::ifstream allowed(fixtures / "ecs-allowed-values.txt");
  REQUIRE(allowed);
  while (std::getline(allowed, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    std::string field, v;
    ss >> field;
    while (ss >> v) ref.allowed[field].insert(v);
  }
  REQUIRE(ref.type_of.size() > 50);
  REQUIRE(ref.allowed.size() == 3);
  return ref;
}

// The dotted names of every value of an ECS document, stopping at fields of type object (labels)
// and at our own namespace.
void flatten(const json& j, const std::string& prefix, const ecs_reference& ref,
             std::map<std::string, json>& out) {
  for (const auto& [k, v] : j.items()) {
    const std::string name = prefix.empty() ? k : prefix + "." + k;
    if (name == "forensic") continue;
    const auto t = ref.type_of.find(name);
    if (v.is_object() && (t == ref.type_of.end() || t->second != "object")) {
      flatten(v, name, ref, out);
    } else {
      out[name] = v;
    }
  }
}

void check_ecs(const json& e, const ecs_reference& ref) {
  INFO(e.dump());
  std::map<std::string, json> fields;
  flatten(e, "", ref, fields);
  for (const auto& field : fields) {
    // Named, not a structured binding: INFO captures them.
    const auto& n = field.first;
    const auto& v = field.second;
    INFO("field " << n << " = " << v.dump());
    const auto t = ref.type_of.find(n);
    REQUIRE(t != ref.type_of.end());
    // Each value has its field's type (arrays hold values of it).
    for (const auto& x : v.is_array() ? v : json::array({v})) {
      if (t->second == "long") CHECK(x.is_number_integer());
      if (t->second == "ip") CHECK(io::parse_ip(x.get<std::string>()).has_value());
      if (t->second == "date") CHECK(io::parse_rfc3339(x.get<std::string>()).has_value());
      if (t->second == "keyword" || t->second == "wildcard" || t->second == "match_only_text") {
        CHECK(x.is_string());
      }
      if (t->second == "boolean") CHECK(x.is_boolean());
    }
  }
  REQUIRE(e.contains("@timestamp"));
  CHECK(e["ecs"]["version"] == "8.12.0");
  CHECK(ref.allowed.at("event.kind").count(e["event"]["kind"].get<std::string>()) == 1);
  REQUIRE(e["event"]["category"].is_array());
  for (const auto& c : e["event"]["category"]) {
    CHECK(ref.allowed.at("event.category").count(c.get<std::string>()) == 1);
  }
  REQUIRE(e["event"]["type"].is_array());
  for (const auto& t : e["event"]["type"]) {
    CHECK(ref.allowed.at("event.type").count(t.get<std::string>()) == 1);
  }
}

const json& ocsf_reference() {
  static const json ref = [] {
    std::ifstream in(fixtures / "ocsf-classes.json");
    REQUIRE(in);
    return json::parse(in);
  }();
  return ref;
}

void check_ocsf(const json& e) {
  INFO(e.dump());
  const json& ref = ocsf_reference();
  for (const auto& a : ref["base_required"]) CHECK(e.contains(a.get<std::string>()));
  for (const auto& a : ref["metadata_required"])
    CHECK(e["metadata"].contains(a.get<std::string>()));
  for (const auto& a : ref["product_required"]) {
    CHECK(e["metadata"]["product"].contains(a.get<std::string>()));
  }
  CHECK(ref["severity_id"].contains(std::to_string(e["severity_id"].get<int>())));
  const json* cls = nullptr;
  for (const auto& [name, c] : ref["classes"].items()) {
    if (c["class_uid"] == e["class_uid"]) cls = &c;
  }
  REQUIRE(cls != nullptr);
  CHECK(e["class_name"] == (*cls)["caption"]);
  CHECK(e["category_uid"] == ref["categories"][(*cls)["category"].get<std::string>()]);
  CHECK(e["class_uid"].get<int>() ==
        e["category_uid"].get<int>() * 1000 + (*cls)["uid"].get<int>());
  const int activity = e["activity_id"].get<int>();
  CHECK((activity == 99 || (*cls)["activity_id"].contains(std::to_string(activity))));
  if (activity != 99) {
    CHECK(e["activity_name"] == (*cls)["activity_id"][std::to_string(activity)]);
  }
  CHECK(e["type_uid"].get<int>() == e["class_uid"].get<int>() * 100 + activity);
  for (const auto& a : (*cls)["required"]) CHECK(e.contains(a.get<std::string>()));
  if (cls->contains("at_least_one")) {
    bool any = false;
    for (const auto& a : (*cls)["at_least_one"]) any |= e.contains(a.get<std::string>());
    CHECK(any);
  }
  if (cls->contains("finding_info_required")) {
    for (const auto& a : (*cls)["finding_info_required"]) {
      CHECK(e["finding_info"].contains(a.get<std::string>()));
    }
  }
  for (const auto& a : ref["objects"]["device"]["required"]) {
    CHECK(e["device"].contains(a.get<std::string>()));
  }
  // Every file object, wherever it sits, has what the file object requires.
  std::vector<const json*> files;
  if (e.contains("file")) files.push_back(&e["file"]);
  if (e.contains("evidences")) {
    for (const auto& ev : e["evidences"]) {
      if (ev.contains("file")) files.push_back(&ev["file"]);
    }
  }
  for (const auto* f : files) {
    for (const auto& a : ref["objects"]["file"]["required"]) {
      CHECK(f->contains(a.get<std::string>()));
    }
  }
}

struct temp_bundle {
  fs::path root;
  temp_bundle() {
    root = fs::temp_directory_path() / ("formats-bundle-" + std::to_string(::getpid()));
    fs::remove_all(root);
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
  void seal() {
    std::vector<std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (e.is_regular_file()) files.push_back(e.path().lexically_relative(root).generic_string());
    }
    std::sort(files.begin(), files.end());
    json m = {{"schema", "forensic.bundle/1"},
              {"case", "IR-9"},
              {"container", {{"id", std::string(64, 'c')}, {"name", "beacon"}}},
              {"artifacts", json::array()}};
    for (const auto& f : files) {
      m["artifacts"].push_back({{"artifact", f},
                                {"path", f},
                                {"size", fs::file_size(root / f)},
                                {"sha256", io::sha256_file(root / f)}});
    }
    write("manifest.json", m.dump());
    files.push_back("manifest.json");
    std::sort(files.begin(), files.end());
    std::string sums;
    for (const auto& f : files) sums += io::sha256_file(root / f) + "  " + f + "\n";
    write("SHA256SUMS", sums);
  }
};

void build(temp_bundle& b) {
  b.write(
      "engine/container-inspect.json",
      json{{"Id", std::string(64, 'c')}, {"Name", "/beacon"}, {"Config", {{"Image", "busybox"}}}}
          .dump());
  b.write("engine/diff.json", json::array({{{"Path", "/tmp/dropper.sh"}, {"Kind", 1}}}).dump());
  b.write("processes/processes.json",
          json{{"processes", json::array({{{"pid", 4242},
                                           {"ns_pid", 7},
                                           {"comm", "nc"},
                                           {"cmdline", {"nc", "203.0.113.70", "4444"}},
                                           {"exe", "/bin/busybox"},
                                           {"start_time", "2026-11-23T09:00:00Z"}}})}}
              .dump());
  b.write("network/network.json", json{{"sockets", json::array({{{"protocol", "tcp"},
                                                                 {"local_address", "172.18.0.2"},
                                                                 {"local_port", 40000},
                                                                 {"remote_address", "203.0.113.70"},
                                                                 {"remote_port", 4444},
                                                                 {"state", "ESTABLISHED"},
                                                                 {"pid", 4242},
                                                                 {"comm", "nc"}}})},
                                       {"conntrack", json::array()}}
                                      .dump());
  b.write("filesystem/bodyfile.txt",
          "0|/tmp/dropper.sh|12|-rwxr-xr-x|0|0|100|1700000300|1577836800|1700000200|1700000100\n"
          "0|/tmp/a%7Cb|13|-rw-r--r--|0|0|3|1700000600|1700000600|1700000600|0\n");
}

analysis::analysis_report incident(temp_bundle& b) {
  build(b);
  b.seal();
  analysis::analysis_options o;
  o.iocs = analysis::ioc_set::parse("ip 203.0.113.70 # C2\n");
  return analysis::analyze_bundle(b.root, o);
}

std::vector<json> lines_of(const std::string& text) {
  std::vector<json> out;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) {
    out.push_back(json::parse(line));
  }
  return out;
}

formats::siem_context context() {
  formats::siem_context c;
  c.host = "host-1";
  c.now = "2026-11-23T10:00:00.000000Z";
  c.case_id = "IR-9";
  c.version = "test";
  return c;
}

net::locate_result locate_answer() {
  net::locate_result r;
  r.address = *io::parse_ip("203.0.113.70");
  net::locate_match socket;
  socket.kind = "socket";
  socket.container_id = std::string(64, 'c');
  socket.container_name = "beacon";
  socket.summary = "container beacon: tcp 172.18.0.2:40000 -> 203.0.113.70:4444 ESTABLISHED";
  net::socket_entry s;
  s.protocol = "tcp";
  s.local_address = "172.18.0.2";
  s.local_port = 40000;
  s.remote_address = "203.0.113.70";
  s.remote_port = 4444;
  s.state = "ESTABLISHED";
  s.owner.pid = 4242;
  s.owner.ns_pid = 7;
  s.owner.comm = "nc";
  s.owner.cmdline = {"nc", "203.0.113.70", "4444"};
  s.owner.exe = "/bin/busybox";
  socket.socket = s;
  r.matches.push_back(socket);
  net::locate_match flow;
  flow.kind = "conntrack";
  flow.container_id = std::string(64, 'c');
  flow.summary = "conntrack flow";
  net::conntrack_flow f;
  f.protocol = "tcp";
  f.src = "172.18.0.2";
  f.sport = 40001;
  f.dst = "203.0.113.70";
  f.dport = 4444;
  f.reply_src = "203.0.113.70";
  f.reply_sport = 4444;
  f.reply_dst = "192.0.2.10";
  f.reply_dport = 61000;
  flow.flow = f;
  r.matches.push_back(flow);
  net::locate_match owner;
  owner.kind = "owner";
  owner.container_address = "203.0.113.70";
  owner.summary = "owner";
  r.matches.push_back(owner);
  return r;
}

std::vector<engine::container> risky_containers() {
  engine::container c;
  c.id = std::string(64, 'd');
  c.names = {"admin"};
  c.image = "busybox";
  c.state = "running";
  c.pid = 1234;
  c.path = "sh";
  c.args = {"-c", "sleep 1"};
  c.inspected = true;
  c.security.privileged = true;
  c.security.docker_socket_mounted = true;
  c.security.pids_limit = 100;
  c.security.memory_limit = 1 << 20;
  return {c};
}

}  // namespace

TEST_CASE("ECS lines use only published field names and categorization values") {
  const auto ref = load_ecs();
  temp_bundle b;
  const auto report = incident(b);
  REQUIRE(report.verification.status == "verified");
  const auto c = context();

  const auto analyze =
      lines_of(formats::to_json_lines(formats::siem_records(report), formats::siem_format::ecs, c));
  REQUIRE(analyze.size() >= report.findings.size());
  bool ioc = false, temp = false, process_start = false, file_created = false, socket = false;
  for (const auto& e : analyze) {
    check_ecs(e, ref);
    CHECK(e["container"]["id"] == std::string(64, 'c'));
    CHECK(e["labels"]["case"] == "IR-9");
    const std::string action = e["event"]["action"];
    if (action == "ioc_match" && e.contains("threat")) {
      ioc = e["threat"]["indicator"]["ip"] == "203.0.113.70" &&
            e["threat"]["indicator"]["type"] == "ipv4-addr" && e["event"]["kind"] == "alert";
    }
    if (action == "temp_file") {
      temp = e["file"]["path"] == "/tmp/dropper.sh" && e["file"]["name"] == "dropper.sh" &&
             e["event"]["category"][0] == "file" && e["event"]["type"][0] == "creation";
    }
    if (action == "process_start") {
      process_start = e["process"]["pid"] == 4242 && e["process"]["vpid"] == 7 &&
                      e["process"]["name"] == "nc" && e["process"]["args"].size() == 3 &&
                      e["event"]["kind"] == "event" && e["event"]["type"][0] == "start";
    }
    if (action == "file_btime" && e["file"]["path"] == "/tmp/dropper.sh") {
      file_created =
          e["event"]["type"][0] == "creation" && e["forensic"]["time_source"] == "kernel";
    }
    if (action == "remote_socket") {
      socket = e["destination"]["ip"] == "203.0.113.70" && e["destination"]["port"] == 4444 &&
               e["source"]["port"] == 40000 && e["process"]["name"] == "nc";
    }
  }
  CHECK(ioc);
  CHECK(temp);
  CHECK(process_start);
  CHECK(file_created);
  CHECK(socket);
  // A name with '|' from the bodyfile arrives decoded, as a JSON string.
  bool piped = false;
  for (const auto& e : analyze) piped |= e.contains("file") && e["file"]["path"] == "/tmp/a|b";
  CHECK(piped);

  const auto located = lines_of(
      formats::to_json_lines(formats::siem_records(locate_answer()), formats::siem_format::ecs, c));
  REQUIRE(located.size() == 3);
  for (const auto& e : located) check_ecs(e, ref);
  CHECK(located[0]["process"]["pid"] == 4242);
  CHECK(located[0]["process"]["command_line"] == "nc 203.0.113.70 4444");
  CHECK(located[0]["event"]["category"][0] == "network");
  CHECK(located[1]["source"]["nat"]["ip"] == "192.0.2.10");
  CHECK(located[1]["source"]["nat"]["port"] == 61000);

  const auto flags = lines_of(formats::to_json_lines(formats::siem_records(risky_containers()),
                                                     formats::siem_format::ecs, c));
  REQUIRE(flags.size() == 2);  // PRIVILEGED, DOCKER-SOCK (limits are set)
  for (const auto& e : flags) check_ecs(e, ref);
  CHECK(flags[0]["rule"]["id"] == "risk.PRIVILEGED");
  CHECK(flags[0]["event"]["severity"] == 4);
  CHECK(flags[1]["rule"]["id"] == "risk.DOCKER-SOCK");
  CHECK(flags[0]["container"]["name"] == "admin");
}

TEST_CASE("OCSF lines carry every attribute their class requires") {
  temp_bundle b;
  const auto report = incident(b);
  const auto c = context();
  std::set<int> classes;
  for (const auto& e : lines_of(
           formats::to_json_lines(formats::siem_records(report), formats::siem_format::ocsf, c))) {
    check_ocsf(e);
    classes.insert(e["class_uid"].get<int>());
    if (e["class_uid"] == 2004 && e["unmapped"]["rule"] == "ioc_match") {
      CHECK(e["observables"][0]["value"] == "203.0.113.70");
      CHECK(e["severity_id"] == 4);
      CHECK(e["resources"][0]["uid"] == std::string(64, 'c'));
    }
    if (e["class_uid"] == 1007) {
      CHECK(e["process"]["pid"] == 4242);
      CHECK(e["process"]["cmd_line"] == "nc 203.0.113.70 4444");
      CHECK(e["process"]["file"]["path"] == "/bin/busybox");
    }
  }
  // Findings, a process start, file times; flows need a capture (none here).
  CHECK(classes == std::set<int>{1001, 1007, 2004});
  for (const auto& e : lines_of(formats::to_json_lines(formats::siem_records(locate_answer()),
                                                       formats::siem_format::ocsf, c))) {
    check_ocsf(e);
    CHECK(e["class_uid"] == 4001);
  }
  for (const auto& e : lines_of(formats::to_json_lines(formats::siem_records(risky_containers()),
                                                       formats::siem_format::ocsf, c))) {
    check_ocsf(e);
    CHECK(e["class_uid"] == 2004);
  }
}

TEST_CASE("Timesketch JSONL: message, datetime, timestamp_desc on every line") {
  temp_bundle b;
  const auto report = incident(b);
  const auto lines = lines_of(formats::to_timesketch_jsonl(report));
  REQUIRE(lines.size() >= report.timeline.size());
  bool forged_clock = false;
  for (const auto& l : lines) {
    INFO(l.dump());
    CHECK(l["message"].is_string());
    CHECK(l["datetime"].get<std::string>().ends_with("Z"));
    CHECK(l["timestamp_desc"].is_string());
    CHECK(l["timestamp"].get<std::int64_t>() > 0);
    if (l["kind"] == "file_mtime" && l.value("path", "") == "/tmp/dropper.sh" &&
        l["source"] == "filesystem/bodyfile.txt") {
      forged_clock =
          l["attacker_settable"] == true && l["timestamp_desc"] == "Content Modification Time" &&
          l["datetime"] == "2020-01-01T00:00:00.000000Z" && l["timestamp"] == 1577836800000000;
    }
  }
  CHECK(forged_clock);
}

TEST_CASE("the bundle's bodyfile is handed on as recorded and mactime reads it") {
  temp_bundle b;
  const auto report = incident(b);
  std::ostringstream out;
  formats::copy_bodyfile(report, out);
  std::ifstream in(b.root / "filesystem/bodyfile.txt");
  std::stringstream recorded;
  recorded << in.rdbuf();
  CHECK(out.str() == recorded.str());
  const fs::path copy = b.root.string() + "-body.txt";
  std::ofstream(copy) << out.str();
  const auto mactime = forensic::testing::run({"mactime", "-b", copy.string(), "-z", "UTC"});
  fs::remove(copy);
  INFO(mactime.err);
  REQUIRE(mactime.exit_code == 0);
  CHECK(mactime.out.find("Wed Jan 01 2020 00:00:00") != std::string::npos);
  CHECK(mactime.out.find("/tmp/dropper.sh") != std::string::npos);
  CHECK(mactime.out.find("/tmp/a|b") != std::string::npos);

  // A bodyfile changed after collection is not handed on.
  b.write("filesystem/bodyfile.txt", "0|/forged|1|-rw-r--r--|0|0|0|0|0|0|0\n");
  const auto tampered = analysis::analyze_bundle(b.root, {});
  REQUIRE(tampered.verification.status == "failed");
  std::ostringstream none;
  CHECK_THROWS_AS(formats::copy_bodyfile(tampered, none), forensic::error);
  CHECK(none.str().empty());
}

TEST_CASE("the kernel's escape flags and ir-hunt findings as SIEM lines") {
  const auto ref = load_ecs();
  const auto c = context();
  const auto containers = risky_containers();
  proc::escape_audit audit;
  audit.collected = true;
  // PRIVILEGED is the engine's already; the kernel's CAP_SYS_MODULE is not.
  audit.flags = {"PRIVILEGED", "CAP_SYS_MODULE"};
  const auto flags = lines_of(formats::to_json_lines(formats::siem_records(containers, {audit}),
                                                     formats::siem_format::ecs, c));
  REQUIRE(flags.size() == 3);
  for (const auto& e : flags) check_ecs(e, ref);
  CHECK(flags[2]["rule"]["id"] == "kernel.CAP_SYS_MODULE");
  CHECK(flags[2]["event"]["kind"] == "alert");
  proc::escape_audit not_collected;
  not_collected.flags = {"CAP_SYS_MODULE"};
  CHECK(formats::siem_records(containers, {not_collected}).size() == 2);

  hunt::hunt_report hunted;
  hunt::hunt_finding f;
  f.kind = "nested_pid_namespace";
  f.severity = "high";
  f.summary = "pid namespace nested in container admin";
  f.container_id = std::string(64, 'd');
  f.container_name = "admin";
  f.pids = {4321, 4322};
  hunted.findings.push_back(f);
  const auto ecs =
      lines_of(formats::to_json_lines(formats::siem_records(hunted), formats::siem_format::ecs, c));
  REQUIRE(ecs.size() == 1);
  check_ecs(ecs[0], ref);
  CHECK(ecs[0]["rule"]["id"] == "hunt.nested_pid_namespace");
  CHECK(ecs[0]["process"]["pid"] == 4321);
  CHECK(ecs[0]["container"]["name"] == "admin");
  for (const auto& e : lines_of(
           formats::to_json_lines(formats::siem_records(hunted), formats::siem_format::ocsf, c))) {
    check_ocsf(e);
    CHECK(e["class_uid"] == 2004);
    CHECK(e["severity_id"] == 4);
  }
}
