#pragma once
// The container model a responder needs, and how to enumerate and resolve containers.
//
// Enumeration is one list call (/containers/json) plus inspects fetched concurrently, so the
// model holds what only inspect has (pid, privileged, capabilities, security options, limits).
// Reference resolution follows the docker CLI: full id, then name (with or without the
// leading '/'), then a unique id prefix; unknown and ambiguous references are errors naming
// the reference.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forensic::engine {

class client;

struct network_attachment {
  std::string name;        // network name ("bridge", "irnet1")
  std::string network_id;  // full id
  std::string endpoint_id;
  std::string ipv4;  // empty when none
  int ipv4_prefix = 0;
  std::string ipv6;
  int ipv6_prefix = 0;
  std::string mac;
  std::string gateway;
  std::string ipv6_gateway;
  std::vector<std::string> aliases;
};

struct port_binding {
  std::uint16_t container_port = 0;
  std::string protocol;  // "tcp", "udp", "sctp"
  std::string host_ip;   // empty when not published
  std::uint16_t host_port = 0;
};

struct mount_point {
  std::string type;  // "bind", "volume", "tmpfs"
  std::string name;  // volume name
  std::string source;
  std::string destination;
  std::string mode;
  bool read_write = true;
};

// Settings that change how much damage a compromised container can do.
struct security_settings {
  bool privileged = false;
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  std::vector<std::string> security_opt;  // "seccomp=unconfined", "apparmor=unconfined", ...
  std::string network_mode;               // "bridge", "host", "container:<id>", "none", name
  std::string pid_mode;                   // "" or "host" or "container:<id>"
  std::string ipc_mode;
  std::string userns_mode;
  std::string user;  // Config.User; empty means root
  bool readonly_rootfs = false;
  std::optional<std::int64_t> pids_limit;  // absent (or <= 0) means unlimited
  std::int64_t memory_limit = 0;           // bytes; 0 means unlimited
  bool docker_socket_mounted = false;      // the engine socket is reachable inside
  std::string apparmor_profile;            // AppArmorProfile as reported
};

struct container {
  std::string id;
  std::vector<std::string> names;  // without the leading '/'
  std::string image;               // as the user named it ("nginx:1.25")
  std::string image_id;
  std::string command;  // path and args joined by spaces, as `docker ps` shows
  std::string path;
  std::vector<std::string> args;
  std::string created;  // RFC 3339 from the engine
  std::string started_at;
  std::string finished_at;
  std::string state;   // created, running, paused, restarting, removing, exited, dead
  std::string status;  // "Up 3 minutes"
  int pid = 0;         // host pid of the init process; 0 when not running
  int exit_code = 0;
  bool tty = false;
  std::string hostname;
  std::map<std::string, std::string> labels;
  std::vector<network_attachment> networks;
  std::vector<port_binding> ports;
  std::vector<mount_point> mounts;
  security_settings security;
  bool inspected = false;  // false when only the list summary was available
  // Where the fields only inspect has came from: "inspect" (the engine's answer),
  // "state_files" (the engine's own files on this host, checked against its list:
  // list_options::state_files), "" when only the list summary was available.
  std::string details_from;

  const std::string& name() const;  // first name, or the short id when nameless
  std::string short_id() const { return id.substr(0, 12); }
  // Labels set by Compose and Kubernetes, when present.
  std::string compose_project() const;
  std::string compose_service() const;
  std::string kubernetes_pod() const;
  std::string kubernetes_namespace() const;
  // Risk flags for the analyst ("PRIVILEGED", "DOCKER-SOCK", "HOST-NET", ...), in a fixed order.
  std::vector<std::string> risk_flags() const;
};

// Parsers of engine JSON. They tolerate missing keys and nulls ("Labels": null).
container parse_container_summary(const nlohmann::json& item);  // one /containers/json item
container parse_container_inspect(const nlohmann::json& doc);   // /containers/{id}/json

struct list_options {
  bool all = false;     // include stopped containers
  bool inspect = true;  // enrich each with its inspect document
  // Engine-side filters, as `docker ps --filter`: {"label", "k=v"}, {"name", "x"}, {"network",
  // "n"}.
  std::vector<std::pair<std::string, std::string>> filters;
  // A local engine on the default socket with its data under /var/lib/docker (proven by one
  // inspect naming its files there): each container's inspect fields are read from the
  // engine's own state files instead of one inspect call each, and used only when they agree
  // with the list (id, name, image, running state, network endpoints and addresses); the others
  // are inspected. Mounts always come from the list. Much cheaper for the engine on hosts with
  // hundreds of containers; off, every container is inspected.
  bool state_files = false;
  // With state_files: called on another thread, while the list call is in flight, for each
  // container the engine's own record says is running (full id, host pid of its init), once
  // every record is read (so that work started from it does not slow the reading, which the
  // list's answer then waits for), for work needing only a pid to start early. A hint,
  // unchecked: the record may be stale or planted, and the list may not agree; the caller
  // checks each against the containers returned. Must be safe to call from another thread.
  std::function<void(const std::string& id, int pid)> on_running_record = nullptr;
};

std::vector<container> list_containers(client& engine, const list_options& options = {});

// True for a container's full id as the engine writes it: 64 lowercase hex digits. Ids read from
// anything a container or a remote host could write are checked with it before use.
bool is_container_id(std::string_view name);

// Resolves `reference` as the docker CLI does and returns the container's full id. Throws
// errc::not_found ("no container 'x'") or errc::ambiguous (naming the candidates).
std::string resolve_container_id(client& engine, std::string_view reference);

// Inspects containers known by full id, up to `parallel` at once. One removed meanwhile is
// left out (the others are still worth having); an engine that does not answer throws.
std::vector<container> inspect_containers(client& engine, const std::vector<std::string>& ids,
                                          std::size_t parallel = 4);

// Resolves and inspects. The raw inspect JSON is returned too when `raw` is given.
container inspect_container(client& engine, std::string_view reference, std::string* raw = nullptr);

// JSON form used by `ir-ps --json` and other tools; field names are documented in
// docs/json.md and stable.
nlohmann::json to_json(const container& c);

// The `forensic.ps/1` document `ir-ps --json` prints (docs/json.md): schema, engine (where the
// list came from, endpoint::to_string) and containers (to_json of each, in the given order).
nlohmann::json to_json(const std::vector<container>& containers, std::string_view engine);

}  // namespace forensic::engine
