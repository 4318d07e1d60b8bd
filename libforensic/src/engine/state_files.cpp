#include "engine/state_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "engine/inspect_filter.hpp"
#include "engine/json_access.hpp"
#include "forensic/engine/containers.hpp"
#include "forensic/io/no_atime.hpp"
#include "io/dir_entries.hpp"

namespace forensic::engine::detail {
namespace {

using nlohmann::json;

constexpr std::size_t max_state_file = 4u << 20;

// The whole of `path` below `dir_fd`, a regular file reached without following a link at any
// step, and its inode; nullopt when it cannot be opened, is not a regular file, is larger than
// the cap, or a read fails.
std::optional<std::string> read_small(int dir_fd, const char* path, std::uint64_t& inode) {
  const io::unique_fd fd =
      io::open_no_atime(dir_fd, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC,
                        RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  if (!fd) return std::nullopt;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  inode = st.st_ino;
  return io::read_to_end(fd.get(), max_state_file, static_cast<std::size_t>(st.st_size));
}

// The members an inspect document would need, as the inspect filter keeps them: most of a
// record (the stream and log settings, the mount points, the rest of HostConfig) is never
// built. hostconfig.json is filtered as inspect's HostConfig member.
std::optional<json> read_object(int dir_fd, const std::string& path, bool host_config,
                                std::uint64_t& inode) {
  const auto text = read_small(dir_fd, path.c_str(), inode);
  if (!text) return std::nullopt;
  json doc = host_config ? parse_host_config_body(*text) : parse_inspect_body(*text);
  if (!doc.is_object()) return std::nullopt;
  return doc;
}

// The record's networks and the list's map of network name to endpoint hold the same names,
// and each the same endpoint id and addresses (a null map and {} both mean none).
bool same_attachments(const std::vector<network_attachment>& record, const json& listed) {
  if (record.size() != (listed.is_object() ? listed.size() : 0)) return false;
  for (auto it = listed.begin(); !record.empty() && it != listed.end(); ++it) {
    const auto mine = std::find_if(record.begin(), record.end(),
                                   [&](const network_attachment& a) { return a.name == it.key(); });
    if (mine == record.end()) return false;
    const json& theirs = it.value();
    if (mine->endpoint_id != str(theirs, "EndpointID") || mine->ipv4 != str(theirs, "IPAddress") ||
        mine->ipv6 != str(theirs, "GlobalIPv6Address") || mine->mac != str(theirs, "MacAddress")) {
      return false;
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
  io::dir_entries entries(root.get());
  while (const dirent64* e = entries.next()) {
    const std::string name = e->d_name;
    if (!is_container_id(name)) continue;
    // Each file in one open, relative to the containers directory: a link in place of the
    // container's directory or of the file is not followed.
    std::uint64_t config_inode = 0, host_config_inode = 0;
    auto config = read_object(root.get(), name + "/config.v2.json", false, config_inode);
    if (!config) continue;
    auto host_config = read_object(root.get(), name + "/hostconfig.json", true, host_config_inode);
    if (!host_config) continue;
    state_record record = make_state_record(std::move(*config), std::move(*host_config));
    record.config_inode = config_inode;
    record.host_config_inode = host_config_inode;
    out.emplace(name, std::move(record));
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

state_record make_state_record(json config, json host_config) {
  state_record r;
  const json& state = member(config, "State");
  r.complete = state.is_object() && member(config, "Config").is_object() &&
               member(config, "NetworkSettings").is_object();
  const json& running = member(state, "Running");
  if (running.is_boolean()) r.running = running.get<bool>();
  const json& pid = member(state, "Pid");
  if (pid.is_number_integer()) r.pid = pid.get<std::int64_t>();
  r.name = str(config, "Name");
  // The record read as an inspect document: the same members at the top, HostConfig in its
  // own file, the id under "ID"; what else an inspect holds is not in the record and not read.
  if (config.is_object()) config["HostConfig"] = std::move(host_config);
  r.model = parse_container_inspect(config);
  r.model.id = str(config, "ID");
  return r;
}

std::optional<container> container_from_state(state_record record, const container& summary,
                                              const json& list_item) {
  container& c = record.model;
  if (!record.complete) return std::nullopt;
  const std::string id = str(list_item, "Id");
  if (id.empty() || c.id != id) return std::nullopt;
  // The list's names carry the leading '/', as the record's does.
  const json& names = member(list_item, "Names");
  if (!names.is_array() || names.empty() || !names.front().is_string() ||
      names.front().get_ref<const std::string&>() != record.name) {
    return std::nullopt;
  }
  if (c.image_id != str(list_item, "ImageID")) return std::nullopt;
  // Running, paused and restarting containers have Running set; a record written before the
  // container started or after it stopped disagrees with the list, and is not used.
  const std::string status = str(list_item, "State");
  const bool listed_running = status == "running" || status == "paused" || status == "restarting";
  if (record.running != listed_running || !record.pid || (*record.pid > 0) != listed_running) {
    return std::nullopt;
  }
  // The record's networks, as inspect gives them (the list leaves aliases out), when they are
  // the list's: the same networks with the same endpoints and addresses.
  if (!same_attachments(c.networks, member(member(list_item, "NetworkSettings"), "Networks"))) {
    return std::nullopt;
  }
  c.state = status;
  c.status = summary.status;
  if (!summary.names.empty()) c.names = summary.names;
  if (c.image.empty()) c.image = summary.image;
  // The list carries the mounts in inspect's form; the record's MountPoints are not.
  c.mounts = summary.mounts;
  c.security.docker_socket_mounted = summary.security.docker_socket_mounted;
  c.details_from = "state_files";
  return std::move(c);
}

}  // namespace forensic::engine::detail
