#pragma once
// Where dockerd keeps its own record of a container on its host: the directory
// <DockerRootDir>/containers/<id>/ with config.v2.json (the container's state as the engine
// restores it after a restart), hostconfig.json, hostname, hosts and resolv.conf (the last three
// bind-mounted into the container, which can write them), and the json-file log at the inspect's
// LogPath with its rotations (<LogPath>.1, .2, ..., ".N.gz" when compressed).
//
// These paths name files on the engine's host. They are only listed when the engine is reached
// through a unix socket (so it runs on this host) and its container directory exists here;
// otherwise `on_this_host` is false and `reason` says why. Nothing is read: the caller copies.
#include <string>
#include <string_view>
#include <vector>

namespace forensic::engine {

class client;

struct container_host_files {
  bool on_this_host = false;
  std::string reason;     // why not, when on_this_host is false
  std::string root_dir;   // DockerRootDir from GET /info ("/var/lib/docker")
  std::string directory;  // <root_dir>/containers/<id>
  std::string log_path;   // LogPath from the inspect; empty for log drivers that keep no file
  // Absolute paths that existed when listed: the fixed files first, then the log and its
  // rotations (oldest rotation last, as the engine numbers them).
  std::vector<std::string> paths;
};

// The engine's root directory on its host (GET /info, DockerRootDir).
std::string docker_root_dir(client& engine);

// Lists the files above for container `id`, whose raw inspect document is `raw_inspect` (for
// LogPath). Throws forensic::error for engine failures of /info only.
container_host_files list_container_host_files(client& engine, const std::string& id,
                                               std::string_view raw_inspect);

}  // namespace forensic::engine
