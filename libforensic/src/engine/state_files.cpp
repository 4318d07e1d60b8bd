#include "engine/state_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "engine/inspect_filter.hpp"
#include "engine/json_access.hpp"
#include "forensic/engine/containers.hpp"
#include "forensic/io/no_atime.hpp"
#include "io/c_handles.hpp"

namespace forensic::engine::detail {
namespace {

using nlohmann::json;

constexpr std::size_t max_state_file = 4u << 20;

// The whole of `name` in `dir_fd`, a regular file read without following a link, and its
// inode; nullopt when it cannot be opened, is not a regular file, is larger than the cap, or a
// read fails.
std::optional<std::string> read_small(int dir_fd, const char* name, std::uint64_t& inode) {
  const io::unique_fd fd =
      io::open_no_atime(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (!fd) return std::nullopt;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  inode = st.st_ino;
  return io::read_to_end(fd.get(), max_state_file, static_cast<std::size_t>(st.st_size));
}

// The members an inspect document would need, as the inspect filter keeps them: most of a
// record (the stream and log settings, the mount points, the rest of HostConfig) is never
// built. hostconfig.json is filtered as inspect's HostConfig member.
std::optional<json> read_object(int dir_fd, const char* name, bool host_config,
                                std::uint64_t& inode) {
  const auto text = read_small(dir_fd, name, inode);
  if (!text) return std::nullopt;
  json doc = host_config ? parse_host_config_body(*text) : parse_inspect_body(*text);
  if (!doc.is_object()) return std::nullopt;
  return doc;
}

// Both maps of network name to endpoint hold the same names, and each the same endpoint id and
// addresses (null and {} both mean none).
bool same_attachments(const json& record, const json& listed) {
  const std::size_t n = record.is_object() ? record.size() : 0;
  if (n != (listed.is_object() ? listed.size() : 0)) return false;
  if (n == 0) return true;
  for (auto it = listed.begin(); it != listed.end(); ++it) {
    const auto mine = record.find(it.key());
    if (mine == record.end()) return false;
    for (const char* key : {"EndpointID", "IPAddress", "GlobalIPv6Address", "MacAddress"}) {
      if (str(*mine, key) != str(it.value(), key)) return false;
    }
  }
  return true;
}

}  // namespace

std::unordered_map<std::string, state_record> read_state_files(const std::string& containers_dir) {
  std::unordered_map<std::string, state_record> out;
  io::unique_fd root = io::open_no_atime(AT_FDCWD, containers_dir.c_str(),
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (!root) return out;
  // The listing works on its own descriptor; `root` stays for the openat of each entry.
  io::c_dir dir(::fdopendir(::dup(root.get())));
  if (!dir) return out;
  while (const dirent* e = ::readdir(dir.get())) {
    const std::string name = e->d_name;
    if (!is_container_id(name)) continue;
    const io::unique_fd sub = io::open_no_atime(root.get(), name.c_str(),
                                                O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (!sub) continue;
    std::uint64_t config_inode = 0, host_config_inode = 0;
    auto config = read_object(sub.get(), "config.v2.json", false, config_inode);
    if (!config) continue;
    auto host_config = read_object(sub.get(), "hostconfig.json", true, host_config_inode);
    if (!host_config) continue;
    out.emplace(name, state_record{std::move(*config), std::move(*host_config), config_inode,
                                   host_config_inode});
  }
  return out;
}

bool still_current(int containers_dir_fd, const std::string& id, const state_record& record) {
  struct stat st {};
  if (::fstatat(containers_dir_fd, (id + "/config.v2.json").c_str(), &st, AT_SYMLINK_NOFOLLOW) !=
          0 ||
      st.st_ino != record.config_inode) {
    return false;
  }
  return ::fstatat(containers_dir_fd, (id + "/hostconfig.json").c_str(), &st,
                   AT_SYMLINK_NOFOLLOW) == 0 &&
         st.st_ino == record.host_config_inode;
}

std::optional<json> inspect_from_state(state_record record, const json& list_item) {
  json& config = record.config;
  const json& state = member(config, "State");
  if (!state.is_object() || !member(config, "Config").is_object()) return std::nullopt;
  const std::string id = str(list_item, "Id");
  if (id.empty() || str(config, "ID") != id) return std::nullopt;
  // The list's names carry the leading '/', as the record's does.
  const json& names = member(list_item, "Names");
  if (!names.is_array() || names.empty() || !names.front().is_string() ||
      names.front().get<std::string>() != str(config, "Name")) {
    return std::nullopt;
  }
  if (str(config, "Image") != str(list_item, "ImageID")) return std::nullopt;
  // Running, paused and restarting containers have Running set; a record written before the
  // container started or after it stopped disagrees with the list, and is not used.
  const std::string status = str(list_item, "State");
  const bool listed_running = status == "running" || status == "paused" || status == "restarting";
  const json& running = member(state, "Running");
  const json& pid = member(state, "Pid");
  if (!running.is_boolean() || running.get<bool>() != listed_running || !pid.is_number_integer() ||
      (pid.get<std::int64_t>() > 0) != listed_running) {
    return std::nullopt;
  }

  json doc = json::object();
  doc["Id"] = id;
  doc["Name"] = std::move(config["Name"]);
  doc["Image"] = std::move(config["Image"]);
  for (const char* key : {"Path", "Args", "Created", "AppArmorProfile", "Config"}) {
    if (auto it = config.find(key); it != config.end()) doc[key] = std::move(*it);
  }
  json doc_state = json::object();
  for (const char* key : {"StartedAt", "FinishedAt", "Pid", "ExitCode"}) {
    if (auto it = state.find(key); it != state.end()) doc_state[key] = *it;
  }
  doc_state["Status"] = status;
  doc["State"] = std::move(doc_state);
  doc["HostConfig"] = std::move(record.host_config);
  // The record's networks, as inspect gives them (the list leaves aliases out), when they are
  // the list's: the same networks with the same endpoints and addresses.
  json& own = config["NetworkSettings"];
  if (!own.is_object()) return std::nullopt;
  json settings = json::object();
  settings["Networks"] = std::move(own["Networks"]);
  if (!same_attachments(settings["Networks"],
                        member(member(list_item, "NetworkSettings"), "Networks"))) {
    return std::nullopt;
  }
  if (own.contains("Ports")) settings["Ports"] = std::move(own["Ports"]);
  doc["NetworkSettings"] = std::move(settings);
  doc["Mounts"] = member(list_item, "Mounts");
  return doc;
}

}  // namespace forensic::engine::detail
