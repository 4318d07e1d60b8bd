#include "forensic/evidence/fleet.hpp"

#include <algorithm>
#include <fstream>

#include "forensic/engine/containers.hpp"
#include "forensic/error.hpp"
#include "forensic/io/sha256.hpp"

namespace forensic::evidence {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A single path component that stays inside its directory.
bool plain_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

std::string one_line(const verify_report& v) {
  if (v.not_a_bundle) return "FAILED: not an evidence bundle; nothing was hashed";
  std::string out =
      (v.ok() ? "OK: " : "FAILED: ") + std::to_string(v.files_checked) + " files checked";
  const auto add = [&](const char* what, const std::vector<std::string>& items) {
    if (!items.empty()) out += "; " + std::to_string(items.size()) + " " + what;
  };
  add("missing", v.missing);
  add("extra", v.extra);
  add("modified", v.modified);
  for (const auto& p : v.problems) out += "; " + p;
  if (v.signature_checked && !v.signature_valid) out += "; signature INVALID";
  if (!v.not_collected.empty()) {
    out += "; " + std::to_string(v.not_collected.size()) + " artifact(s) recorded as not collected";
  }
  return out;
}

fleet_bundle check_copy(const fs::path& host_dir, const json& archive) {
  fleet_bundle b;
  b.host_path = archive.value("host_path", "");
  b.sha256_on_host = archive.value("sha256_on_host", "");
  const std::string name = fs::path(b.host_path).filename().string();
  if (!plain_name(name)) {
    b.verify_output = "FAILED: the archive's name on the host is not a plain file name";
    return b;
  }
  b.path = host_dir / name;
  std::error_code ec;
  const auto st = fs::symlink_status(b.path, ec);
  if (ec || !fs::is_regular_file(st)) {
    b.verify_output = "FAILED: no copy at " + b.path.string();
    return b;
  }
  b.sha256_here = io::sha256_file(b.path);
  b.transfer_intact = !b.sha256_on_host.empty() && b.sha256_on_host == b.sha256_here;
  try {
    b.verification = verify_bundle(b.path);
    b.verify_output = one_line(*b.verification);
    b.verified = b.transfer_intact && b.verification->ok();
  } catch (const error& e) {
    b.verify_output = std::string("FAILED: ") + e.what();
  }
  if (!b.transfer_intact) {
    b.verify_output =
        "FAILED: the copy's SHA-256 differs from the archive's on the host; " + b.verify_output;
  }
  return b;
}

fleet_host read_host(const fs::path& dir, const std::string& name) {
  fleet_host h;
  h.name = name;
  if (!plain_name(name)) {
    h.error = "the inventory name is not a plain file name: its results were not read";
    return h;
  }
  const fs::path facts_path = dir / name / "host.json";
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(facts_path, ec))) {
    h.error = "no result: the play stopped before it";
    return h;
  }
  json facts;
  try {
    std::ifstream in(facts_path);
    facts = json::parse(in);
  } catch (const json::exception& e) {
    h.error = std::string("its result could not be read: ") + e.what();
    return h;
  }
  if (!facts.is_object()) {
    h.error = "its result is not a JSON object";
    return h;
  }
  h.reached = facts.value("reached", false);
  h.error = facts.value("error", "");
  h.contained = facts.value("contained", false);
  if (facts.contains("playbook_rc") && facts["playbook_rc"].is_number_integer()) {
    h.playbook_rc = facts["playbook_rc"].get<int>();
  }
  if (facts.contains("locate") && facts["locate"].is_object()) {
    h.locate = facts["locate"];
    h.found = h.locate.value("found", false);
    if (h.locate.contains("matches") && h.locate["matches"].is_array()) {
      for (const auto& m : h.locate["matches"]) {
        if (!m.is_object() || !m.contains("container_id") || !m["container_id"].is_string()) {
          continue;
        }
        const std::string id = m["container_id"];
        if (engine::is_container_id(id) &&
            std::find(h.containers.begin(), h.containers.end(), id) == h.containers.end()) {
          h.containers.push_back(id);
        }
      }
    }
    h.found = h.found || !h.containers.empty();
  }
  if (facts.contains("archives") && facts["archives"].is_array()) {
    for (const auto& a : facts["archives"]) {
      if (a.is_object()) h.bundles.push_back(check_copy(dir / name, a));
    }
  }
  return h;
}

}  // namespace

fleet_report assemble_fleet(const fs::path& dir, const std::vector<std::string>& hosts,
                            const std::string& address) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw error(errc::not_found, "fleet output directory " + dir.string() + " does not exist");
  }
  fleet_report r;
  r.address = address;
  for (const auto& h : hosts) r.hosts.push_back(read_host(dir, h));
  return r;
}

json to_json(const fleet_report& r) {
  json hosts = json::object();
  for (const auto& h : r.hosts) {
    json bundles = json::array();
    for (const auto& b : h.bundles) {
      json j = {{"host_path", b.host_path},
                {"path", b.path.string()},
                {"sha256_on_host", b.sha256_on_host},
                {"sha256_here", b.sha256_here},
                {"transfer_intact", b.transfer_intact},
                {"verified", b.verified},
                {"verify_output", b.verify_output}};
      if (b.verification) j["verification"] = to_json(*b.verification);
      bundles.push_back(std::move(j));
    }
    json j = {{"reached", h.reached},
              {"found", h.found},
              {"containers", h.containers},
              {"contained", h.contained},
              {"bundles", std::move(bundles)}};
    if (!h.error.empty()) j["error"] = h.error;
    if (!h.locate.is_null()) j["locate"] = h.locate;
    j["playbook_rc"] = h.playbook_rc ? json(*h.playbook_rc) : json();
    hosts[h.name] = std::move(j);
  }
  return {{"schema", "forensic.fleet/1"}, {"address", r.address}, {"hosts", std::move(hosts)}};
}

}  // namespace forensic::evidence
