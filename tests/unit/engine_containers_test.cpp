// Container model parsing, against JSON recorded from a real engine (tests/fixtures/engine/).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/inspect_filter.hpp"
#include "engine/state_files.hpp"
#include "forensic/engine/containers.hpp"
#include "forensic/io/unique_fd.hpp"

using namespace forensic::engine;

namespace {

nlohmann::json fixture(const std::string& name) {
  std::ifstream in(std::string(FORENSIC_FIXTURES_DIR) + "/engine/" + name);
  REQUIRE(in);
  return nlohmann::json::parse(in);
}

bool has_flag(const container& c, const std::string& flag) {
  auto f = c.risk_flags();
  return std::find(f.begin(), f.end(), flag) != f.end();
}

}  // namespace

TEST_CASE("container on the default bridge with compose labels and a published port") {
  auto c = parse_container_inspect(fixture("inspect_fx-default.json"));
  CHECK(c.name() == "fx-default");
  CHECK(c.state == "running");
  CHECK(c.pid > 0);
  CHECK(c.compose_project() == "shop");
  CHECK(c.compose_service() == "web");
  REQUIRE(c.networks.size() == 1);
  CHECK(c.networks[0].name == "bridge");
  CHECK(c.networks[0].ipv4.starts_with("172.17."));
  CHECK(c.networks[0].ipv4_prefix == 16);
  CHECK(c.networks[0].mac.size() == 17);
  auto published = std::find_if(c.ports.begin(), c.ports.end(),
                                [](const port_binding& p) { return p.host_port == 8080; });
  REQUIRE(published != c.ports.end());
  CHECK(published->container_port == 80);
  CHECK(published->protocol == "tcp");
  CHECK(published->host_ip == "127.0.0.1");
  CHECK(has_flag(c, "NO-PIDS-LIMIT"));
  CHECK(has_flag(c, "NO-MEM-LIMIT"));
  CHECK_FALSE(has_flag(c, "PRIVILEGED"));
}

TEST_CASE("container on two networks with risky settings") {
  auto c = parse_container_inspect(fixture("inspect_fx-two.json"));
  REQUIRE(c.networks.size() == 2);
  std::vector<std::string> names{c.networks[0].name, c.networks[1].name};
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"fxnet1", "fxnet2"});
  auto v6 = std::find_if(c.networks.begin(), c.networks.end(),
                         [](const network_attachment& n) { return !n.ipv6.empty(); });
  REQUIRE(v6 != c.networks.end());
  CHECK(v6->ipv6.starts_with("fd00:db8:1::"));
  CHECK(c.security.docker_socket_mounted);
  CHECK(has_flag(c, "DOCKER-SOCK"));
  CHECK(has_flag(c, "CAP_SYS_ADMIN"));
  CHECK(has_flag(c, "SECCOMP-UNCONFINED"));
  CHECK_FALSE(has_flag(c, "NO-PIDS-LIMIT"));
  CHECK_FALSE(has_flag(c, "NO-MEM-LIMIT"));
  CHECK(c.security.memory_limit == 64 * 1024 * 1024);
  auto sock = std::find_if(c.mounts.begin(), c.mounts.end(), [](const mount_point& m) {
    return m.destination == "/var/run/docker.sock";
  });
  REQUIRE(sock != c.mounts.end());
  CHECK_FALSE(sock->read_write);
}

TEST_CASE("host network and pid namespace, stopped and privileged containers") {
  auto host = parse_container_inspect(fixture("inspect_fx-host.json"));
  CHECK(host.security.network_mode == "host");
  CHECK(has_flag(host, "HOST-NET"));
  CHECK(has_flag(host, "HOST-PID"));

  auto stopped = parse_container_inspect(fixture("inspect_fx-stopped.json"));
  CHECK(stopped.state == "exited");
  CHECK(stopped.pid == 0);
  CHECK_FALSE(stopped.finished_at.empty());

  auto privileged = parse_container_inspect(fixture("inspect_fx-privileged.json"));
  CHECK(privileged.state == "created");
  CHECK(has_flag(privileged, "PRIVILEGED"));
}

TEST_CASE("list summaries parse, and nulls and missing keys are tolerated") {
  auto list = fixture("containers_json.json");
  REQUIRE(list.is_array());
  CHECK(list.size() >= 5);
  for (const auto& item : list) {
    auto c = parse_container_summary(item);
    CHECK(c.id.size() == 64);
    CHECK_FALSE(c.name().empty());
    CHECK(c.name().front() != '/');
  }
  auto sparse = parse_container_inspect(nlohmann::json::parse(
      R"({"Id":"abc","Config":{"Labels":null,"Image":null},"HostConfig":null,
          "NetworkSettings":{"Networks":null,"Ports":{"80/tcp":null}},"Mounts":null})"));
  CHECK(sparse.id == "abc");
  CHECK(sparse.labels.empty());
  REQUIRE(sparse.ports.size() == 1);
  CHECK(sparse.ports[0].container_port == 80);
  CHECK(sparse.ports[0].host_port == 0);
  CHECK(parse_container_inspect(nlohmann::json::array()).id.empty());
}

TEST_CASE("the JSON form carries the documented field names") {
  auto doc = to_json(parse_container_inspect(fixture("inspect_fx-two.json")));
  for (const char* key : {"id", "name", "names", "image", "image_id", "command", "created",
                          "started_at", "state", "pid", "labels", "networks", "ports", "mounts",
                          "security", "risk_flags", "compose_project", "kubernetes_pod"}) {
    CHECK_MESSAGE(doc.contains(key), key);
  }
  CHECK(doc["security"]["docker_socket_mounted"] == true);
  CHECK(doc["networks"][0].contains("ipv4"));
}

TEST_CASE("the inspect filter keeps everything the container model reads") {
  for (const char* name :
       {"inspect_fx-default.json", "inspect_fx-host.json", "inspect_fx-privileged.json",
        "inspect_fx-stopped.json", "inspect_fx-two.json"}) {
    CAPTURE(name);
    const nlohmann::json full = fixture(name);
    const auto filtered = nlohmann::json::parse(full.dump(), inspect_fields_filter());
    CHECK(filtered.dump().size() < full.dump().size() * 3 / 4);  // it does drop most of it
    CHECK(filtered.contains("Mounts"));
    CHECK_FALSE(filtered.contains("GraphDriver"));
    CHECK(to_json(parse_container_inspect(filtered)) == to_json(parse_container_inspect(full)));
  }
  // A list body passes whole, also after an inspect parsed by the same callback (one callback
  // serves a batch that holds both; the inspect's last key is NetworkSettings).
  const nlohmann::json list = fixture("containers_json.json");
  CHECK(nlohmann::json::parse(list.dump(), inspect_fields_filter()) == list);
  const auto shared = inspect_fields_filter();
  const nlohmann::json inspect = fixture("inspect_fx-two.json");
  const auto first = nlohmann::json::parse(inspect.dump(), shared);
  CHECK(nlohmann::json::parse(list.dump(), shared) == list);
  CHECK(nlohmann::json::parse(inspect.dump(), shared) == first);
}

TEST_CASE("skimming an inspect gives what the inspect filter keeps, from the engine's own text") {
  for (const char* name :
       {"inspect_fx-default.json", "inspect_fx-host.json", "inspect_fx-privileged.json",
        "inspect_fx-stopped.json", "inspect_fx-two.json"}) {
    CAPTURE(name);
    std::ifstream in(std::string(FORENSIC_FIXTURES_DIR) + "/engine/" + name);
    REQUIRE(in);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto filtered = nlohmann::json::parse(text, inspect_fields_filter());
    const auto skimmed = skim_inspect(text);
    REQUIRE(skimmed);
    CHECK(skimmed->size() < text.size() * 3 / 4);
    CHECK(nlohmann::json::parse(*skimmed) == filtered);
    CHECK(parse_inspect_body(text) == filtered);
    // Indented and compact forms skim alike.
    const auto full = nlohmann::json::parse(text);
    CHECK(nlohmann::json::parse(*skim_inspect(full.dump(2))) == filtered);
    CHECK(nlohmann::json::parse(*skim_inspect(full.dump())) == filtered);
  }
}

TEST_CASE("skimming checks the structure it steps over and leaves odd documents to the parser") {
  // Dropped members are checked too: strings, escapes, numbers, literals, nesting.
  const std::string ok =
      R"({"Id":"a\"b\\c\u00e9","GraphDriver":{"Data":[1,-2.5e+3,true,false,null,"x\n"]},
          "Config":{"Env":["A=1"],"Labels":{"k":"v"}},"State":{"Pid":42,"Health":{}},
          "Args":[],"HostConfig":{}} )";
  const auto skimmed = skim_inspect(ok);
  REQUIRE(skimmed);
  CHECK(nlohmann::json::parse(*skimmed) == nlohmann::json::parse(ok, inspect_fields_filter()));
  CHECK(
      *skimmed ==
      R"({"Id":"a\"b\\c\u00e9","Config":{"Labels":{"k":"v"}},"State":{"Pid":42},"Args":[],"HostConfig":{}})");
  for (const char* bad : {
           R"({"Id":"a","GraphDriver":{"Data":tru}})",   // a literal cut short
           R"({"Id":"a","GraphDriver":{"Data":01}})",    // a leading zero
           R"({"Id":"a","GraphDriver":{"Data":"\q"}})",  // an unknown escape
           R"({"Id":"a","GraphDriver":{"Data":[1,]}})",  // a trailing comma
           R"({"Id":"a","GraphDriver":{"Data":[1}})",    // brackets that do not match
           R"({"Id":"a","GraphDriver":{"Data":"x})",     // an open string
           R"({"Id":"a"} {})",                           // trailing text
           "{\"Id\":\"a\",\"ExecIDs\":\"\x01\"}",        // a raw control character
       }) {
    CAPTURE(bad);
    CHECK_FALSE(skim_inspect(bad));
    CHECK(parse_inspect_body(bad).is_discarded());  // the parser refuses it as well
  }
  // Not an object, or a key the rules would have to decode: the parser takes it whole.
  CHECK_FALSE(skim_inspect("[1,2]"));
  CHECK(parse_inspect_body("[1,2]") == nlohmann::json::array({1, 2}));
  const std::string escaped_key = R"({"I\u0064":"a","Name":"/n"})";
  CHECK_FALSE(skim_inspect(escaped_key));
  CHECK(parse_inspect_body(escaped_key) == nlohmann::json::parse(escaped_key));
  // Nesting deeper than the scan goes: left to the parser.
  const std::string deep =
      R"({"Id":"a","GraphDriver":)" + std::string(300, '[') + std::string(300, ']') + "}";
  CHECK_FALSE(skim_inspect(deep));
  CHECK(parse_inspect_body(deep) == nlohmann::json::parse(R"({"Id":"a"})"));
}

TEST_CASE("a host configuration file parses to the HostConfig an inspect gives") {
  // The engine's hostconfig.json is inspect's HostConfig member on its own.
  const std::string text = fixture("state_fxs-hostconfig.json").dump(2);
  const auto wrapped = parse_inspect_body(R"({"HostConfig":)" + text + "}");
  REQUIRE(wrapped.contains("HostConfig"));
  CHECK(parse_host_config_body(text) == wrapped["HostConfig"]);
  CHECK(parse_host_config_body(text).size() < nlohmann::json::parse(text).size());
  // A key the skim would have to decode: the parser filters the same members.
  const std::string escaped = R"({"Privileged":true,"Binds":["/:/host"],"Memory":5})";
  CHECK(parse_host_config_body(escaped) ==
        nlohmann::json::parse(R"({"Privileged":true,"Memory":5})"));
  // Not one JSON value on its own: nothing is taken, whatever follows it.
  for (const char* bad : {R"({}, "Privileged": true)", R"({"Memory":1} {"Privileged":true})",
                          R"({"Privileged":tru})", "", "[]"}) {
    CAPTURE(bad);
    const auto doc = parse_host_config_body(bad);
    CHECK((doc.is_discarded() || !doc.is_object()));
  }
}

TEST_CASE(
    "state files: a container's inspect fields from the engine's own files, checked against the "
    "list") {
  using forensic::engine::detail::container_from_state;
  using forensic::engine::detail::make_state_record;
  const auto config = fixture("state_fxs-config.v2.json");
  const auto host_config = fixture("state_fxs-hostconfig.json");
  const auto item = fixture("state_fxs-list-item.json");
  const container summary = parse_container_summary(item);
  // The same container as the engine's inspect describes it, with the list's status, field for
  // field.
  const auto ours = container_from_state(make_state_record(config, host_config), summary, item);
  REQUIRE(ours);
  container expected = parse_container_inspect(fixture("state_fxs-inspect.json"));
  expected.status = summary.status;
  expected.details_from = "state_files";
  CHECK(to_json(*ours) == to_json(expected));
  CHECK(ours->pid > 0);
  CHECK(ours->networks.size() == 2);
  CHECK(ours->mounts.size() == 2);
  CHECK(ours->security.cap_add == std::vector<std::string>{"CAP_NET_ADMIN"});
  CHECK(ours->security.memory_limit == 64 << 20);
  CHECK(ours->details_from == "state_files");

  // Anything the list contradicts leaves the container to an inspect call.
  auto changed = [&](auto edit_config, auto edit_item) {
    auto c = config;
    auto i = item;
    edit_config(c);
    edit_item(i);
    return container_from_state(make_state_record(c, host_config), parse_container_summary(i), i);
  };
  const auto none = [](nlohmann::json&) {};
  CHECK(changed(none, none));
  CHECK_FALSE(changed([](auto& c) { c["ID"] = std::string(64, 'a'); }, none));
  CHECK_FALSE(changed([](auto& c) { c["Name"] = "/renamed"; }, none));
  CHECK_FALSE(changed(none, [](auto& i) { i["ImageID"] = "sha256:" + std::string(64, 'b'); }));
  // Stopped since the record was written, or started since: the running state disagrees.
  CHECK_FALSE(changed(none, [](auto& i) { i["State"] = "exited"; }));
  CHECK_FALSE(changed([](auto& c) { c["State"]["Running"] = false; }, none));
  CHECK_FALSE(changed([](auto& c) { c["State"]["Running"] = "yes"; }, none));
  CHECK_FALSE(changed([](auto& c) { c["State"]["Pid"] = 0; }, none));
  CHECK_FALSE(changed([](auto& c) { c["State"]["Pid"] = "42"; }, none));
  // A network connected or disconnected, or an endpoint or address replaced, since the record.
  CHECK_FALSE(changed([](auto& c) { c["NetworkSettings"]["Networks"].erase("fxs-b"); }, none));
  CHECK_FALSE(changed(none, [](auto& i) { i["NetworkSettings"]["Networks"].erase("fxs-b"); }));
  CHECK_FALSE(changed(none, [](auto& i) {
    i["NetworkSettings"]["Networks"]["fxs-a"]["EndpointID"] = std::string(64, 'c');
  }));
  CHECK_FALSE(changed(none, [](auto& i) {
    i["NetworkSettings"]["Networks"]["fxs-a"]["IPAddress"] = "203.0.113.77";
  }));
  CHECK_FALSE(changed(none, [](auto& i) {
    auto& n = i["NetworkSettings"]["Networks"];
    n["fxs-c"] = n["fxs-b"];
    n.erase("fxs-b");
  }));
  CHECK_FALSE(changed([](auto& c) { c.erase("State"); }, none));
  CHECK_FALSE(changed([](auto& c) { c["Config"] = 42; }, none));
  CHECK_FALSE(changed([](auto& c) { c["NetworkSettings"] = "odd"; }, none));
  CHECK_FALSE(changed(none, [](auto& i) { i["Names"] = nlohmann::json::array(); }));
  CHECK_FALSE(changed(none, [](auto& i) { i["Names"] = nlohmann::json::array({7, "/fxs"}); }));
  // What the list gives wins over the record: its mounts (the record's are in another form).
  const auto unmounted = changed(none, [](auto& i) { i["Mounts"] = nlohmann::json::array(); });
  REQUIRE(unmounted);
  CHECK(unmounted->mounts.empty());
  // Not an object at all: nothing to take, and no throw.
  CHECK_FALSE(
      container_from_state(make_state_record(nlohmann::json::array(), nullptr), summary, item));
}

TEST_CASE("state files: read from a data root, only container directories with both files") {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("state-files-" + std::to_string(::getpid()));
  fs::remove_all(root);
  const std::string id(64, 'd');
  const std::string other(64, 'e');
  fs::create_directories(root / id);
  fs::create_directories(root / other);
  fs::create_directories(root / "not-an-id");
  std::ofstream(root / id / "config.v2.json") << R"({"ID": "x"})";
  std::ofstream(root / id / "hostconfig.json") << R"({"Privileged": true})";
  std::ofstream(root / other / "config.v2.json") << R"({"ID": "y"})";  // no hostconfig
  std::ofstream(root / "not-an-id" / "config.v2.json") << "{}";
  std::ofstream(root / "not-an-id" / "hostconfig.json") << "{}";
  // A link in place of a file is not followed.
  const std::string linked(64, 'f');
  fs::create_directories(root / linked);
  fs::create_symlink(root / id / "config.v2.json", root / linked / "config.v2.json");
  std::ofstream(root / linked / "hostconfig.json") << "{}";
  // Nor a link in place of a container's directory.
  const std::string dir_link(64, 'c');
  fs::create_directory_symlink(root / id, root / dir_link);
  // A host configuration that is not one JSON value on its own is not taken.
  const std::string junk(64, '1');
  fs::create_directories(root / junk);
  std::ofstream(root / junk / "config.v2.json") << R"({"ID": "z"})";
  std::ofstream(root / junk / "hostconfig.json") << R"({}, "Privileged": true)";
  const auto records = forensic::engine::detail::read_state_files(root.string());
  REQUIRE(records.size() == 1);
  REQUIRE(records.count(id) == 1);
  CHECK(records.at(id).model.security.privileged);
  CHECK(records.at(id).model.id == "x");
  // Replaced since (dockerd writes a new file and renames it into place): no longer current.
  using forensic::engine::detail::still_current;
  const forensic::io::unique_fd opened(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(opened);
  const int dir = opened.get();
  CHECK(still_current(dir, id, records.at(id)));
  std::ofstream(root / id / "config.v2.json.new") << R"({"ID": "x2"})";
  fs::rename(root / id / "config.v2.json.new", root / id / "config.v2.json");
  CHECK_FALSE(still_current(dir, id, records.at(id)));
  CHECK_FALSE(still_current(dir, other, records.at(id)));
  CHECK(forensic::engine::detail::read_state_files((root / "missing").string()).empty());
  fs::remove_all(root);
}
