// Coverage: which artifacts the bundle holds, which failed or were not taken (and why, from the
// manifest), and what each gap hides. A bundle without network state yields no network
// findings; this part is what says the network was never looked at.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "analysis/context.hpp"
#include "analysis/json_fields.hpp"
#include "forensic/evidence/collector.hpp"

namespace forensic::analysis::detail {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Artifacts newer collectors add to those the collector names (artifact_names()).
constexpr const char* later_artifacts[] = {"mounts", "events", "bodyfile", "memory", "hunt"};

// The files by which an artifact is known when the manifest does not list them.
const std::map<std::string, std::vector<std::string>>& known_files() {
  static const std::map<std::string, std::vector<std::string>> files{
      {"inspect", {"engine/container-inspect.json"}},
      {"image", {"engine/image-inspect.json", "engine/image-history.json"}},
      {"processes", {"processes/processes.json"}},
      {"files", {"files/files.json"}},
      {"network", {"network/network.json"}},
      {"logs", {"logs/stdout.log", "logs/stderr.log", "logs/tty.log"}},
      {"diff", {"engine/diff.json"}},
      {"export", {"filesystem/export.tar"}},
      {"commit", {"image/commit.tar"}},
      {"capture", {"capture/capture.pcapng"}},
      {"mounts", {"mounts/mounts.json"}},
      {"events", {"engine/events.jsonl"}},
      {"bodyfile", {"filesystem/bodyfile.txt"}},
      {"memory", {"memory/memory.json"}},
      {"hunt", {"hunt/hunt.json"}},
  };
  return files;
}

// What a responder cannot see without the artifact (or the part of network.json).
std::string hidden_by_absence(const std::string& artifact) {
  static const std::map<std::string, std::string> hides{
      {"inspect",
       "the container's configuration (mounts, capabilities, privileges, environment, "
       "entrypoint) cannot be checked"},
      {"image", "the image's layers and build history cannot be compared with what runs"},
      {"processes",
       "running processes, their command lines and deleted or in-memory implants cannot be "
       "seen"},
      {"files",
       "key files as read live (accounts, sudoers, cron, shell history, authorized keys) and "
       "their original owners and times cannot be seen"},
      {"network", "no sockets or flows: C2 over the network cannot be seen"},
      {"hunt",
       "what the kernel runs beside the container's cgroup (nsenter'd shells, nested pid "
       "namespaces, workloads and network namespaces started outside the engine on its "
       "bridges) cannot be seen"},
      {"logs",
       "what the application wrote (errors, requests, echoed attacker commands) cannot be "
       "seen"},
      {"diff", "which files were added, changed or deleted since the image cannot be listed"},
      {"export", "dropped files and persistence cannot be seen"},
      {"commit", "no loadable image of the container to run or compare later"},
      {"capture", "no packet-level view: payloads, DNS queries and beacon timing cannot be seen"},
      {"mounts",
       "host paths and volumes mounted into the container (data outside its filesystem) cannot "
       "be seen"},
      {"events",
       "the engine's record of the container's life (execs, restarts, kills) cannot be seen"},
      {"bodyfile", "no times of every file: no filesystem timeline"},
      {"memory",
       "no process memory: fileless implants, injected code and configurations decrypted only "
       "in memory cannot be seen"},
      {"network.sockets",
       "no sockets: listeners and live connections (C2 sessions) cannot be seen"},
      {"network.conntrack",
       "no conntrack flows: connections attempted or NATed (beacons to a dead C2) cannot be seen"},
      {"network.iptables",
       "no firewall rules: port forwards and rules planted by an attacker cannot be seen"},
  };
  if (auto it = hides.find(artifact); it != hides.end()) return it->second;
  return artifact + " cannot be seen";
}

bool regular_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(fs::symlink_status(p, ec));
}

// manifest.json without the warnings json_file() gives (identity already read it).
json read_manifest(const fs::path& root) {
  if (!regular_file(root / "manifest.json")) return nullptr;
  std::ifstream in(root / "manifest.json", std::ios::binary);
  json m = json::parse(in, nullptr, false);
  return m.is_object() ? m : json(nullptr);
}

// The artifact a manifest record belongs to ("capture-stop" is the capture's second step).
std::string artifact_of(const json& record) {
  std::string a = text(record, "artifact");
  if (a == "capture-stop") a = "capture";
  return a;
}

void append(std::string& to, const std::string& what) {
  if (what.empty()) return;
  to += (to.empty() ? "" : "; ") + what;
}

// The manifest's list of artifacts the collector did not take: an array of
// {"artifact", "reason"} or an object of artifact -> reason.
std::map<std::string, std::string> not_collected(const json& manifest) {
  std::map<std::string, std::string> out;
  if (!manifest.is_object() || !manifest.contains("not_collected")) return out;
  const json& list = manifest["not_collected"];
  if (list.is_array()) {
    for (const auto& e : list) {
      if (e.is_string()) out[e.get<std::string>()];
      if (!e.is_object()) continue;
      const std::string why = text(e, "reason").empty() ? text(e, "message") : text(e, "reason");
      append(out[artifact_of(e)], why);
    }
  } else if (list.is_object()) {
    for (const auto& [name, why] : list.items())
      out[name] = why.is_string() ? why.get<std::string>() : "";
  }
  return out;
}

coverage_entry artifact_coverage(const fs::path& root, const std::string& name,
                                 const json& manifest,
                                 const std::map<std::string, std::string>& skipped) {
  coverage_entry e{name, "", "", "", {}};
  bool listed = false;
  const auto add_file = [&](const std::string& path) {
    if (std::find(e.files.begin(), e.files.end(), path) == e.files.end() &&
        regular_file(root / path)) {
      e.files.push_back(path);
    }
  };
  std::string failures;
  if (manifest.is_object()) {
    for (const auto& a : manifest.value("artifacts", json::array())) {
      if (!a.is_object() || artifact_of(a) != name) continue;
      listed = true;
      add_file(text(a, "path"));
    }
    for (const auto& f : manifest.value("failures", json::array())) {
      if (f.is_object() && artifact_of(f) == name) append(failures, text(f, "message"));
    }
  }
  if (auto it = known_files().find(name); it != known_files().end()) {
    for (const auto& path : it->second) add_file(path);
  }
  const auto skip = skipped.find(name);
  if (!e.files.empty()) {
    e.status = failures.empty() ? "present" : "partial";
    e.reason = failures;
  } else if (!failures.empty()) {
    e.status = "failed";
    e.reason = failures;
  } else if (skip != skipped.end()) {
    e.status = "not_collected";
    e.reason = skip->second;
  } else if (listed) {
    e.status = "absent";
    e.reason = "manifest.json lists its files but they are not in the bundle";
  } else if (manifest.is_object()) {
    e.status = "not_asked";
  } else {
    e.status = "absent";
    e.reason = "no manifest.json to say why";
  }
  if (e.status == "partial")
    e.hides = "in part: " + hidden_by_absence(name);
  else if (e.status != "present")
    e.hides = hidden_by_absence(name);
  return e;
}

// Parts of network/network.json the collector could not take: `{"collected": false, "reason":
// ...}` in place of the list. Read as "not collected", never as "none there".
void network_parts(context& c, const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  const json doc = json::parse(in, nullptr, false);
  if (!doc.is_object()) return;
  for (const auto& [key, value] : doc.items()) {
    if (!value.is_object()) continue;
    const auto collected = value.find("collected");
    if (collected == value.end() || !collected->is_boolean() || collected->get<bool>()) continue;
    const std::string name = "network." + key;
    c.report.coverage.push_back(
        {name, "not_collected", text(value, "reason"), hidden_by_absence(name), {}});
  }
  for (const char* key : {"sockets", "conntrack"}) {
    if (doc.contains(key)) continue;
    const std::string name = std::string("network.") + key;
    c.report.coverage.push_back({name,
                                 "absent",
                                 "network/network.json has no " + std::string(key),
                                 hidden_by_absence(name),
                                 {}});
  }
}

}  // namespace

void analyze_coverage(context& c) {
  const json manifest = read_manifest(c.root);
  const auto skipped = not_collected(manifest);
  std::vector<std::string> names = evidence::artifact_names();
  for (const char* later : later_artifacts) {
    if (std::find(names.begin(), names.end(), later) == names.end()) names.push_back(later);
  }
  for (const auto& name : names) {
    c.report.coverage.push_back(artifact_coverage(c.root, name, manifest, skipped));
    if (name == "network" && regular_file(c.root / "network/network.json")) {
      network_parts(c, c.root / "network/network.json");
    }
  }
}

}  // namespace forensic::analysis::detail
