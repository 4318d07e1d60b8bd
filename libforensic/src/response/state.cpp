#include "response/state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "forensic/error.hpp"
#include "forensic/io/time.hpp"
#include "forensic/io/unique_fd.hpp"

namespace forensic::response::detail {
namespace fs = std::filesystem;
namespace {

using nlohmann::json;

std::string path_of(const std::string& dir, const std::string& id) {
  return dir + "/" + id + ".json";
}

// Typed reads of one object's keys: absent (or null) keeps the default, any other type is a
// parse error naming the key.
class fields {
 public:
  fields(const json& object, std::string where) : object_(object), where_(std::move(where)) {
    if (!object.is_object()) throw error(errc::parse, where_ + " is not a JSON object");
  }

  const json* find(const char* key) const {
    auto it = object_.find(key);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }
  void read(const char* key, std::string& out) const {
    const json* v = find(key);
    if (!v) return;
    expect(v->is_string(), key, "a string");
    out = v->get<std::string>();
  }
  void read(const char* key, bool& out) const {
    const json* v = find(key);
    if (!v) return;
    expect(v->is_boolean(), key, "a boolean");
    out = v->get<bool>();
  }
  void read(const char* key, std::vector<std::string>& out) const {
    const json* v = find(key);
    if (!v) return;
    expect(v->is_array(), key, "an array of strings");
    std::vector<std::string> items;
    for (const auto& item : *v) {
      expect(item.is_string(), key, "an array of strings");
      items.push_back(item.get<std::string>());
    }
    out = std::move(items);
  }
  void expect(bool ok, const char* key, const char* what) const {
    if (!ok) throw error(errc::parse, where_ + ": \"" + key + "\" is not " + what);
  }

 private:
  const json& object_;
  std::string where_;
};

detached_network detached_network_from_json(const json& doc) {
  const fields f(doc, "quarantine state network");
  detached_network n;
  f.read("name", n.name);
  f.read("id", n.id);
  f.read("ipv4", n.ipv4);
  f.read("ipv6", n.ipv6);
  f.read("aliases", n.aliases);
  f.read("user_ipam", n.user_ipam);
  return n;
}

json to_json(const detached_network& n) {
  return {{"name", n.name}, {"id", n.id},           {"ipv4", n.ipv4},
          {"ipv6", n.ipv6}, {"aliases", n.aliases}, {"user_ipam", n.user_ipam}};
}

}  // namespace

json to_json(const quarantine_state& s) {
  json doc = {{"schema", "forensic.quarantine/1"},
              {"container_id", s.container_id},
              {"container_name", s.container_name},
              {"case", s.case_id},
              {"mode", to_string(s.mode)},
              {"backend", s.backend},
              {"host_veths", s.host_veths},
              {"addresses", s.addresses},
              {"allow", s.allow},
              {"since", s.since}};
  if (s.networks) {
    json list = json::array();
    for (const auto& n : *s.networks) list.push_back(to_json(n));
    doc["networks"] = std::move(list);
  }
  if (s.tc_clsact_added) doc["tc_clsact_added"] = *s.tc_clsact_added;
  // Added keys appear only when they say something: a record without them reads as before.
  if (!s.sharing_namespace.empty()) {
    json sharers = json::array();
    for (const auto& sh : s.sharing_namespace) sharers.push_back(response::to_json(sh));
    doc["sharing_namespace"] = std::move(sharers);
  }
  if (!s.fallback_reason.empty()) doc["fallback_reason"] = s.fallback_reason;
  return doc;
}

quarantine_state quarantine_state_from_json(const json& doc) {
  try {
    const fields f(doc, "quarantine state");
    quarantine_state s;
    f.read("container_id", s.container_id);
    f.read("container_name", s.container_name);
    f.read("case", s.case_id);
    std::string mode = "network";
    f.read("mode", mode);
    try {
      s.mode = parse_isolation_mode(mode);
    } catch (const error& e) {
      throw error(errc::parse, std::string("quarantine state: ") + e.what());
    }
    f.read("backend", s.backend);
    f.read("host_veths", s.host_veths);
    f.read("addresses", s.addresses);
    f.read("allow", s.allow);
    f.read("since", s.since);
    if (const json* list = f.find("networks")) {
      f.expect(list->is_array(), "networks", "an array");
      std::vector<detached_network> networks;
      for (const auto& n : *list) networks.push_back(detached_network_from_json(n));
      s.networks = std::move(networks);
    }
    if (f.find("tc_clsact_added")) {
      std::vector<std::string> added;
      f.read("tc_clsact_added", added);
      s.tc_clsact_added = std::move(added);
    }
    if (const json* list = f.find("sharing_namespace")) {
      f.expect(list->is_array(), "sharing_namespace", "an array");
      for (const auto& item : *list) {
        const fields g(item, "quarantine state sharing_namespace entry");
        namespace_sharer sh;
        g.read("container_id", sh.container_id);
        g.read("container_name", sh.container_name);
        s.sharing_namespace.push_back(std::move(sh));
      }
    }
    f.read("fallback_reason", s.fallback_reason);
    return s;
  } catch (const json::exception& e) {  // not expected past the checks above; never escapes
    throw error(errc::parse, std::string("quarantine state: ") + e.what());
  }
}

std::string utc_now() {
  return io::format_rfc3339(std::chrono::system_clock::now(), io::time_precision::seconds);
}

void write_state(const std::string& dir, const std::string& container_id,
                 const quarantine_state& state) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw error(errc::io, "cannot create " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  const std::string final_path = path_of(dir, container_id);
  const std::string tmp = final_path + ".tmp";
  io::unique_fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) throw_errno("cannot write " + tmp, errno);
  // Replace, never throw: the record must be written even if a name is not valid UTF-8.
  const std::string text =
      to_json(state).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t w = ::write(fd.get(), text.data() + done, text.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) throw_errno("cannot write " + tmp, errno);
    done += static_cast<std::size_t>(w);
  }
  if (::fsync(fd.get()) != 0) throw_errno("fsync " + tmp, errno);
  fd.close("close state file");
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) throw_errno("rename " + tmp, errno);
}

namespace {

// A file that is not a record is no record, as an unparsable one always was: the isolator
// then falls back to what the host itself shows (tagged rules).
std::optional<quarantine_state> parse_state_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  auto doc = json::parse(in, nullptr, false);
  if (!doc.is_object()) return std::nullopt;
  try {
    return quarantine_state_from_json(doc);
  } catch (const error&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<quarantine_state> read_state(const std::string& dir,
                                           const std::string& container_id) {
  return parse_state_file(path_of(dir, container_id));
}

void remove_state(const std::string& dir, const std::string& container_id) {
  std::error_code ec;
  fs::remove(path_of(dir, container_id), ec);
}

std::vector<quarantine_state> all_states(const std::string& dir) {
  std::vector<quarantine_state> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    if (auto s = parse_state_file(entry.path())) out.push_back(std::move(*s));
  }
  return out;
}

}  // namespace forensic::response::detail
