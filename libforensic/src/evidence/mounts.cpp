#include "forensic/evidence/mounts.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace forensic::evidence {
namespace {

constexpr std::array<std::string_view, 16> system_directories{
    "/bin",  "/boot", "/dev", "/etc",  "/lib", "/lib32", "/lib64",          "/libx32",
    "/proc", "/root", "/run", "/sbin", "/sys", "/usr",   "/var/lib/docker", "/var/lib/containerd"};

constexpr std::array<std::string_view, 3> engine_sockets{"docker.sock", "containerd.sock",
                                                         "podman.sock"};

// Filesystems the kernel makes up: reading them copies the host's state, not the container's.
constexpr std::array<std::string_view, 17> pseudo_filesystems{
    "proc",       "sysfs",       "cgroup",  "cgroup2", "devpts",  "mqueue",
    "securityfs", "debugfs",     "tracefs", "bpf",     "pstore",  "configfs",
    "fusectl",    "binfmt_misc", "autofs",  "nsfs",    "efivarfs"};

std::string normal(std::string_view path) {
  std::string p = std::filesystem::path(path).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

// `inner` is `outer` or below it.
bool within(std::string_view inner, std::string_view outer) {
  if (outer == "/") return true;
  return inner == outer ||
         (inner.size() > outer.size() && inner.starts_with(outer) && inner[outer.size()] == '/');
}

template <class List>
bool listed(const List& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string text_field(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                                                : std::string();
}

struct engine_mount {
  std::string type, source, volume, destination;
  bool read_write = true;
  bool matched = false;
};

std::vector<engine_mount> engine_mounts(const nlohmann::json& inspect) {
  std::vector<engine_mount> out;
  if (!inspect.is_object() || !inspect.contains("Mounts") || !inspect["Mounts"].is_array()) {
    return out;
  }
  for (const auto& m : inspect["Mounts"]) {
    engine_mount e;
    e.type = text_field(m, "Type");
    e.source = text_field(m, "Source");
    e.volume = text_field(m, "Name");
    e.destination = normal(text_field(m, "Destination"));
    e.read_write =
        !m.is_object() || !m.contains("RW") || !m["RW"].is_boolean() || m["RW"].get<bool>();
    if (!e.destination.empty()) out.push_back(std::move(e));
  }
  return out;
}

void classify_bind(container_mount& m, bool copy_system) {
  if (!is_host_system_path(m.source)) {
    m.copy = true;
    m.reason = "bind mount of a host path";
  } else if (copy_system) {
    m.copy = true;
    m.reason = "bind mount of a host system path, copied as asked";
  } else {
    m.reason = "bind mount of a host system path: listed, not copied (--mount-copy-system)";
  }
}

}  // namespace

bool is_host_system_path(std::string_view host_path) {
  if (host_path.empty()) return false;
  const std::string p = normal(host_path);
  const std::string base = std::filesystem::path(p).filename().string();
  if (listed(engine_sockets, base)) return true;
  if (p == "/" || p == "/var/run") return true;
  for (const auto dir : system_directories) {
    if (within(p, dir) || within(dir, p)) return true;
  }
  return within(p, "/var/run");
}

std::vector<container_mount> plan_container_mounts(const std::vector<proc::mount_entry>& table,
                                                   const nlohmann::json& inspect,
                                                   bool copy_system) {
  auto named = engine_mounts(inspect);
  const std::string id = text_field(inspect, "Id");
  const std::pair<const char*, const char*> engine_files[] = {
      {"/etc/hosts", "HostsPath"},
      {"/etc/hostname", "HostnamePath"},
      {"/etc/resolv.conf", "ResolvConfPath"}};
  std::vector<container_mount> plan;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const auto& t = table[i];
    const std::string point = normal(t.mount_point);
    if (point == "/") continue;  // the image and the writable layer: the export's
    container_mount m;
    m.destination = point;
    m.fstype = t.fstype;
    m.mount_id = t.mount_id;
    m.read_write = !t.read_only();
    const bool covered = std::any_of(
        table.begin() + static_cast<std::ptrdiff_t>(i) + 1, table.end(),
        [&](const proc::mount_entry& later) { return normal(later.mount_point) == point; });
    auto by_engine = std::find_if(named.begin(), named.end(), [&](const engine_mount& e) {
      return !e.matched && e.destination == point;
    });
    if (by_engine != named.end()) {
      by_engine->matched = true;  // the runtime's mount is the first one at its place
      m.type = by_engine->type;
      m.source = by_engine->source;
      m.volume = by_engine->volume;
    } else if (t.fstype == "tmpfs") {
      m.type = "tmpfs";
    } else if (listed(pseudo_filesystems, t.fstype)) {
      m.type = t.fstype;
    } else {
      m.type = "bind";
      for (const auto& [where, key] : engine_files) {
        if (point == where) m.source = text_field(inspect, key);
      }
    }
    if (covered) {
      m.reason = "covered by a later mount at the same place";
    } else if (listed(pseudo_filesystems, t.fstype)) {
      m.reason = "kernel pseudo-filesystem (" + t.fstype + "): nothing stored to copy";
    } else if (within(point, "/proc") || within(point, "/sys")) {
      m.reason = "the runtime's mask over a kernel interface";
    } else if (m.type == "volume") {
      m.copy = true;
      m.reason = "named volume";
    } else if (m.type == "tmpfs") {
      m.copy = true;
      m.reason = "tmpfs: in memory only, gone with the container";
    } else if (m.type == "bind" && by_engine != named.end()) {
      classify_bind(m, copy_system);
    } else if (!m.source.empty() && !id.empty() &&
               m.source.find("/containers/" + id + "/") != std::string::npos) {
      m.copy = true;
      m.reason = "file the engine keeps for this container";
    } else if (copy_system) {
      m.copy = true;
      m.reason = "not named by the engine (device " + t.source + ", directory " + t.root +
                 "), copied as asked";
    } else {
      m.reason = "not named by the engine (device " + t.source + ", directory " + t.root +
                 "): listed, not copied (--mount-copy-system)";
    }
    m.index = plan.size();
    plan.push_back(std::move(m));
  }
  for (const auto& e : named) {
    if (e.matched) continue;
    container_mount m;
    m.index = plan.size();
    m.destination = e.destination;
    m.type = e.type;
    m.source = e.source;
    m.volume = e.volume;
    m.read_write = e.read_write;
    m.reason = "named by the engine but not in the container's mount table";
    plan.push_back(std::move(m));
  }
  return plan;
}

nlohmann::json to_json(const container_mount& m) {
  return {{"index", m.index},       {"destination", m.destination}, {"type", m.type},
          {"source", m.source},     {"volume", m.volume},           {"fstype", m.fstype},
          {"mount_id", m.mount_id}, {"read_write", m.read_write},   {"copied", m.copy},
          {"reason", m.reason}};
}

}  // namespace forensic::evidence
