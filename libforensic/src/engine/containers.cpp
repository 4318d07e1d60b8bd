#include "forensic/engine/containers.hpp"

#include <fcntl.h>

#include <algorithm>
#include <future>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "engine/inspect_filter.hpp"
#include "engine/json_access.hpp"
#include "engine/state_files.hpp"
#include "forensic/engine/client.hpp"
#include "forensic/error.hpp"
#include "forensic/io/heap.hpp"
#include "forensic/io/unique_fd.hpp"
#include "io/dir_entries.hpp"

namespace forensic::engine {
namespace {

bool has_cap(const std::vector<std::string>& caps, std::string_view cap) {
  return std::any_of(caps.begin(), caps.end(), [&](const std::string& c) {
    std::string_view v = c;
    if (v.starts_with("CAP_")) v.remove_prefix(4);
    return v == cap || v == "ALL";
  });
}

bool has_opt(const std::vector<std::string>& opts, std::string_view key) {
  return std::any_of(opts.begin(), opts.end(), [&](const std::string& o) {
    // Both "seccomp=unconfined" and the old "seccomp:unconfined" spellings occur.
    return o == std::string(key) + "=unconfined" || o == std::string(key) + ":unconfined";
  });
}

std::string filters_query(const filter_list& filters) {
  return filters.empty() ? std::string() : "&filters=" + encode_filters(filters);
}

constexpr const char* default_containers_dir = "/var/lib/docker/containers";

// Ids a local engine has on disk, read from its state directory, so that inspects can start
// while the list call is still being answered (dockerd serves them concurrently). Only a hint:
// the list stays authoritative, a stale id costs one 404, and another data-root gives none.
std::vector<std::string> local_container_ids_hint(const client& engine) {
  std::vector<std::string> ids;
  const endpoint& where = engine.where();
  if (where.kind != endpoint::transport::unix_socket ||
      (where.socket_path != "/var/run/docker.sock" && where.socket_path != "/run/docker.sock")) {
    return ids;
  }
  const io::unique_fd dir(
      ::open(default_containers_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) return ids;
  io::dir_entries entries(dir.get());
  while (const dirent64* e = entries.next()) {
    if (is_container_id(e->d_name)) ids.emplace_back(e->d_name);
  }
  return ids;
}

std::string inspect_target(const std::string& id) { return "/containers/" + id + "/json"; }

// Merges inspect documents into the summaries, fetching those the prefetch did not cover;
// containers already described in full (from the engine's state files) are left as they are.
void enrich_with_inspects(client& engine, std::vector<container>& out,
                          std::unordered_map<std::string, nlohmann::json>& inspected) {
  std::vector<std::string> missing;
  for (const auto& c : out) {
    if (!c.inspected && !inspected.count(c.id)) missing.push_back(inspect_target(c.id));
  }
  auto fetched = engine.get_json_batch(missing, 8, client::body_parser(parse_inspect_body));
  for (std::size_t i = 0; i < missing.size(); ++i) {
    // A container removed between the list and its inspect keeps its summary.
    if (fetched[i].failure) continue;
    std::string id = fetched[i].body.value("Id", "");
    inspected[id] = std::move(fetched[i].body);
  }
  for (auto& c : out) {
    if (c.inspected) continue;
    auto it = inspected.find(c.id);
    if (it == inspected.end()) continue;
    container full = parse_container_inspect(it->second);
    full.status = c.status;
    if (!c.names.empty()) full.names = c.names;
    if (full.image.empty()) full.image = c.image;
    full.details_from = "inspect";
    c = std::move(full);
  }
}

// The engine's data root is /var/lib/docker when a container's inspect names its files there.
bool files_under_default_root(const nlohmann::json& inspect, const std::string& id) {
  if (!inspect.is_object() || inspect.value("Id", std::string()) != id) return false;
  const std::string dir = std::string(default_containers_dir) + "/" + id + "/";
  for (const char* key : {"HostnamePath", "ResolvConfPath", "HostsPath", "LogPath"}) {
    const auto it = inspect.find(key);
    if (it != inspect.end() && it->is_string() && it->get<std::string>().starts_with(dir)) {
      return true;
    }
  }
  return false;
}

// list_options::state_files: the list call and one inspect, which proves where the engine
// keeps its files, while the state files are read on another thread; then an inspect call
// only for the containers whose files are missing or disagree with the list (every one when
// the proof fails: the list already fetched still serves).
std::optional<std::vector<container>> list_from_state_files(client& engine,
                                                            const list_options& options,
                                                            const std::string& list_target) {
  const auto ids = local_container_ids_hint(engine);
  if (ids.empty()) return std::nullopt;
  // What the records, the list and the documents built from them take, per container, resident
  // at once on each thread (io/heap.hpp; nothing unless the process keeps freed memory).
  constexpr std::size_t record_bytes = 4 << 10, list_bytes = 16 << 10;
  auto records = std::async(std::launch::async, [&options, count = ids.size()] {
    io::warm_heap(count * record_bytes);
    auto read = detail::read_state_files(default_containers_dir);
    if (!options.on_running_record) return read;
    for (const auto& [id, r] : read) {
      if (r.running == true && r.pid && *r.pid > 0 && *r.pid <= std::numeric_limits<int>::max()) {
        options.on_running_record(id, static_cast<int>(*r.pid));
      }
    }
    return read;
  });
  io::warm_heap(ids.size() * list_bytes);
  const std::vector<std::string> targets{list_target, inspect_target(ids.front())};
  auto results = engine.get_json_batch(targets, 2, client::body_parser([](std::string_view body) {
                                         return nlohmann::json::parse(body, nullptr, false);
                                       }));
  auto state = records.get();
  if (results[0].failure) throw *results[0].failure;
  const nlohmann::json& list = results[0].body;
  if (!list.is_array()) throw error(errc::protocol, "engine container list is not an array");
  const bool proven = !results[1].failure && files_under_default_root(results[1].body, ids.front());

  std::vector<container> out;
  out.reserve(list.size());
  std::unordered_map<std::string, nlohmann::json> inspected;
  const io::unique_fd containers_dir(
      ::open(default_containers_dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (proven) inspected.emplace(ids.front(), std::move(results[1].body));
  for (const auto& item : list) {
    container summary = parse_container_summary(item);
    auto record = proven && !inspected.count(summary.id) ? state.find(summary.id) : state.end();
    if (record != state.end() && containers_dir &&
        detail::still_current(containers_dir.get(), summary.id, record->second)) {
      if (auto full = detail::container_from_state(std::move(record->second), summary, item)) {
        out.push_back(std::move(*full));
        continue;
      }
    }
    out.push_back(std::move(summary));
  }
  enrich_with_inspects(engine, out, inspected);
  return out;
}

}  // namespace

bool is_container_id(std::string_view name) {
  return name.size() == 64 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

const std::string& container::name() const {
  static const std::string none;
  if (!names.empty()) return names.front();
  return id.empty() ? none : id;
}

std::string container::compose_project() const {
  auto it = labels.find("com.docker.compose.project");
  return it == labels.end() ? "" : it->second;
}
std::string container::compose_service() const {
  auto it = labels.find("com.docker.compose.service");
  return it == labels.end() ? "" : it->second;
}
std::string container::kubernetes_pod() const {
  auto it = labels.find("io.kubernetes.pod.name");
  return it == labels.end() ? "" : it->second;
}
std::string container::kubernetes_namespace() const {
  auto it = labels.find("io.kubernetes.pod.namespace");
  return it == labels.end() ? "" : it->second;
}

std::vector<std::string> container::risk_flags() const {
  std::vector<std::string> flags;
  const security_settings& s = security;
  if (s.privileged) flags.push_back("PRIVILEGED");
  if (s.docker_socket_mounted) flags.push_back("DOCKER-SOCK");
  if (s.network_mode == "host") flags.push_back("HOST-NET");
  if (s.pid_mode == "host") flags.push_back("HOST-PID");
  if (s.ipc_mode == "host") flags.push_back("HOST-IPC");
  if (has_cap(s.cap_add, "SYS_ADMIN")) flags.push_back("CAP_SYS_ADMIN");
  if (has_cap(s.cap_add, "SYS_PTRACE")) flags.push_back("CAP_SYS_PTRACE");
  if (has_cap(s.cap_add, "NET_ADMIN")) flags.push_back("CAP_NET_ADMIN");
  if (has_opt(s.security_opt, "seccomp")) flags.push_back("SECCOMP-UNCONFINED");
  if (has_opt(s.security_opt, "apparmor") || s.apparmor_profile == "unconfined") {
    flags.push_back("APPARMOR-UNCONFINED");
  }
  if (inspected) {
    if (!s.pids_limit || *s.pids_limit <= 0) flags.push_back("NO-PIDS-LIMIT");
    if (s.memory_limit <= 0) flags.push_back("NO-MEM-LIMIT");
  }
  return flags;
}

std::vector<container> list_containers(client& engine, const list_options& options) {
  std::vector<std::string> targets{std::string("/containers/json?all=") +
                                   (options.all ? "1" : "0") + filters_query(options.filters)};
  if (options.inspect && options.state_files) {
    if (auto out = list_from_state_files(engine, options, targets.front())) return std::move(*out);
  }
  if (options.inspect && options.filters.empty()) {
    for (auto& id : local_container_ids_hint(engine)) targets.push_back(inspect_target(id));
  }
  // One batch: the list call and the prefetched inspects are answered concurrently. (The
  // inspect filter leaves the list whole: it only drops keys of a top-level object.)
  auto results = engine.get_json_batch(targets, 8, client::body_parser(parse_inspect_body));
  if (results[0].failure) throw *results[0].failure;
  const nlohmann::json& list = results[0].body;
  if (!list.is_array()) throw error(errc::protocol, "engine container list is not an array");

  std::vector<container> out;
  out.reserve(list.size());
  for (const auto& item : list) out.push_back(parse_container_summary(item));
  if (!options.inspect || out.empty()) return out;

  std::unordered_map<std::string, nlohmann::json> inspected;
  for (std::size_t i = 1; i < results.size(); ++i) {
    if (results[i].failure) continue;
    std::string id = results[i].body.value("Id", "");
    inspected.emplace(std::move(id), std::move(results[i].body));
  }
  enrich_with_inspects(engine, out, inspected);
  return out;
}

std::string resolve_container_id(client& engine, std::string_view reference) {
  std::string ref(reference);
  if (ref.empty()) throw error(errc::invalid_argument, "empty container reference");
  if (ref.front() == '/') ref.erase(0, 1);
  auto list = list_containers(engine, {.all = true, .inspect = false, .filters = {}});
  for (const auto& c : list) {
    if (c.id == ref) return c.id;
  }
  for (const auto& c : list) {
    if (std::find(c.names.begin(), c.names.end(), ref) != c.names.end()) return c.id;
  }
  std::vector<const container*> matches;
  for (const auto& c : list) {
    if (c.id.starts_with(ref)) matches.push_back(&c);
  }
  if (matches.size() == 1) return matches.front()->id;
  if (matches.empty()) {
    throw error(errc::not_found, "no such container: '" + std::string(reference) + "'");
  }
  std::string names;
  for (const auto* m : matches)
    names += (names.empty() ? "" : ", ") + m->short_id() + " (" + m->name() + ")";
  throw error(errc::ambiguous, "container reference '" + std::string(reference) +
                                   "' is ambiguous: it matches " + names);
}

std::vector<container> inspect_containers(client& engine, const std::vector<std::string>& ids,
                                          std::size_t parallel) {
  std::vector<std::string> targets;
  targets.reserve(ids.size());
  for (const auto& id : ids) targets.push_back(inspect_target(id));
  std::vector<container> out;
  for (auto& r :
       engine.get_json_batch(targets, parallel, client::body_parser(parse_inspect_body))) {
    if (!r.failure) out.push_back(parse_container_inspect(r.body));
  }
  return out;
}

container inspect_container(client& engine, std::string_view reference, std::string* raw) {
  // The engine resolves a reference in the CLI's order itself (full id, name, unique id
  // prefix), so a direct inspect answers without listing every container (most of the cost on
  // a host with hundreds). Its answer is taken only when it is the CLI's; a miss or an
  // ambiguous prefix takes the listing, which names the candidates.
  std::string ref(reference);
  if (!ref.empty() && ref.front() == '/') ref.erase(0, 1);
  constexpr std::string_view name_chars =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
  if (!ref.empty() && ref.find_first_not_of(name_chars) == std::string::npos) {
    try {
      std::string body = engine.get_raw(inspect_target(ref));
      auto doc = nlohmann::json::parse(body, nullptr, false);
      const std::string id = doc.is_object() ? doc.value("Id", std::string()) : std::string();
      const std::string name = doc.is_object() ? doc.value("Name", std::string()) : std::string();
      if (!id.empty() && (id == ref || name == "/" + ref || id.starts_with(ref))) {
        if (raw) *raw = std::move(body);
        return parse_container_inspect(doc);
      }
    } catch (const error& e) {
      if (e.kind() != errc::not_found && e.kind() != errc::engine_error) throw;
    }
  }
  const std::string id = resolve_container_id(engine, reference);
  std::string body = engine.get_raw(inspect_target(id));
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (!doc.is_object()) throw error(errc::protocol, "engine inspect of " + id + " is not JSON");
  if (raw) *raw = std::move(body);
  return parse_container_inspect(doc);
}

}  // namespace forensic::engine
