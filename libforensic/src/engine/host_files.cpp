#include "forensic/engine/host_files.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "forensic/engine/client.hpp"
#include "forensic/engine/endpoint.hpp"
#include "forensic/error.hpp"

namespace forensic::engine {
namespace {

namespace fs = std::filesystem;

// The files dockerd writes for every container, next to its log.
constexpr const char* fixed_files[] = {"config.v2.json", "hostconfig.json", "hostname", "hosts",
                                       "resolv.conf"};

bool exists_here(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// The json-file driver rotates <log> to <log>.1, shifting older ones up (.2, ...), and gzips
// them to <log>.N.gz when asked to compress. Sorted by N: newest rotation first.
std::vector<std::string> rotations(const std::string& log_path) {
  const fs::path log(log_path);
  const std::string stem = log.filename().string() + ".";
  std::vector<std::pair<unsigned, std::string>> found;
  std::error_code ec;
  for (fs::directory_iterator it(log.parent_path(), ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(stem)) continue;
    std::string_view rest(name);
    rest.remove_prefix(stem.size());
    if (rest.ends_with(".gz")) rest.remove_suffix(3);
    unsigned n = 0;
    auto [p, err] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
    if (err != std::errc() || p != rest.data() + rest.size() || rest.empty()) continue;
    found.emplace_back(n, it->path().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

}  // namespace

std::string docker_root_dir(client& engine) {
  const auto info = engine.get_json("/info");
  const std::string root =
      info.is_object() && info.contains("DockerRootDir") && info["DockerRootDir"].is_string()
          ? info["DockerRootDir"].get<std::string>()
          : std::string();
  if (root.empty()) throw error(errc::protocol, "the engine's /info names no DockerRootDir");
  return root;
}

container_host_files list_container_host_files(client& engine, const std::string& id,
                                               std::string_view raw_inspect) {
  container_host_files out;
  if (engine.where().kind != endpoint::transport::unix_socket) {
    out.reason = "the engine is reached over TCP (" + engine.where().to_string() +
                 "): its files are on its own host, not this one";
    return out;
  }
  out.root_dir = docker_root_dir(engine);
  out.directory = out.root_dir + "/containers/" + id;
  // A unix socket can still lead elsewhere (forwarded over ssh, or an engine in another mount
  // namespace): the container's own directory must be visible here.
  if (!exists_here(out.root_dir + "/containers")) {
    out.reason = out.root_dir + "/containers does not exist on this host: the socket " +
                 engine.where().socket_path + " leads to an engine whose files are elsewhere";
    return out;
  }
  if (!exists_here(out.directory + "/config.v2.json")) {
    out.reason = out.directory + "/config.v2.json does not exist (the container was removed)";
    return out;
  }
  out.on_this_host = true;
  for (const char* name : fixed_files) {
    const std::string path = out.directory + "/" + name;
    if (exists_here(path)) out.paths.push_back(path);
  }
  const auto doc = nlohmann::json::parse(raw_inspect, nullptr, false);
  if (doc.is_object() && doc.contains("LogPath") && doc["LogPath"].is_string()) {
    out.log_path = doc["LogPath"].get<std::string>();
  }
  if (!out.log_path.empty()) {
    if (exists_here(out.log_path)) out.paths.push_back(out.log_path);
    for (auto& r : rotations(out.log_path)) out.paths.push_back(std::move(r));
  }
  return out;
}

}  // namespace forensic::engine
