// Parsers of the engine's container JSON into the model. Engine JSON is trusted to be JSON but
// not to be complete: every key may be missing or null, depending on API version and state.
#include <nlohmann/json.hpp>

#include "engine/json_access.hpp"
#include "forensic/engine/containers.hpp"

namespace forensic::engine {
namespace {

using nlohmann::json;

using detail::member;
using detail::str;

std::int64_t integer(const json& j, const char* key) {
  const json& v = member(j, key);
  return v.is_number_integer() ? v.get<std::int64_t>() : 0;
}

bool boolean(const json& j, const char* key) {
  const json& v = member(j, key);
  return v.is_boolean() && v.get<bool>();
}

std::vector<std::string> strings(const json& j, const char* key) {
  std::vector<std::string> out;
  const json& v = member(j, key);
  if (!v.is_array()) return out;
  for (const auto& item : v) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> string_map(const json& j) {
  std::map<std::string, std::string> out;
  if (!j.is_object()) return out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

std::string strip_slash(std::string name) {
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  return name;
}

std::vector<network_attachment> parse_networks(const json& networks) {
  std::vector<network_attachment> out;
  if (!networks.is_object()) return out;
  for (auto it = networks.begin(); it != networks.end(); ++it) {
    const json& n = it.value();
    network_attachment a;
    a.name = it.key();
    a.network_id = str(n, "NetworkID");
    a.endpoint_id = str(n, "EndpointID");
    a.ipv4 = str(n, "IPAddress");
    a.ipv4_prefix = static_cast<int>(integer(n, "IPPrefixLen"));
    a.ipv6 = str(n, "GlobalIPv6Address");
    a.ipv6_prefix = static_cast<int>(integer(n, "GlobalIPv6PrefixLen"));
    a.mac = str(n, "MacAddress");
    a.gateway = str(n, "Gateway");
    a.ipv6_gateway = str(n, "IPv6Gateway");
    a.aliases = strings(n, "Aliases");
    out.push_back(std::move(a));
  }
  return out;
}

std::uint16_t port_number(std::string_view text) {
  unsigned v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') break;
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > 65535) return 0;
  }
  return static_cast<std::uint16_t>(v);
}

// /containers/json: [{"PrivatePort":80,"PublicPort":8080,"Type":"tcp","IP":"0.0.0.0"}]
std::vector<port_binding> parse_summary_ports(const json& ports) {
  std::vector<port_binding> out;
  if (!ports.is_array()) return out;
  for (const auto& p : ports) {
    port_binding b;
    b.container_port = static_cast<std::uint16_t>(integer(p, "PrivatePort"));
    b.host_port = static_cast<std::uint16_t>(integer(p, "PublicPort"));
    b.protocol = str(p, "Type");
    b.host_ip = str(p, "IP");
    out.push_back(std::move(b));
  }
  return out;
}

// inspect: NetworkSettings.Ports {"80/tcp": [{"HostIp":"0.0.0.0","HostPort":"8080"}] | null}
std::vector<port_binding> parse_inspect_ports(const json& ports) {
  std::vector<port_binding> out;
  if (!ports.is_object()) return out;
  for (auto it = ports.begin(); it != ports.end(); ++it) {
    const std::string& key = it.key();
    const auto slash = key.find('/');
    port_binding base;
    base.container_port = port_number(key);
    base.protocol = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
    if (!it.value().is_array() || it.value().empty()) {
      out.push_back(base);
      continue;
    }
    for (const auto& binding : it.value()) {
      port_binding b = base;
      b.host_ip = str(binding, "HostIp");
      b.host_port = port_number(str(binding, "HostPort"));
      out.push_back(std::move(b));
    }
  }
  return out;
}

bool is_docker_socket(const std::string& source) {
  return source == "/var/run/docker.sock" || source == "/run/docker.sock" || source == "/var/run" ||
         source == "/run" || source == "/" || source.ends_with("/docker.sock");
}

std::vector<mount_point> parse_mounts(const json& mounts) {
  std::vector<mount_point> out;
  if (!mounts.is_array()) return out;
  for (const auto& m : mounts) {
    mount_point p;
    p.type = str(m, "Type");
    p.name = str(m, "Name");
    p.source = str(m, "Source");
    p.destination = str(m, "Destination");
    p.mode = str(m, "Mode");
    const json& rw = member(m, "RW");
    p.read_write = rw.is_boolean() ? rw.get<bool>() : true;
    out.push_back(std::move(p));
  }
  return out;
}

std::string join_command(const std::string& path, const std::vector<std::string>& args) {
  std::string out = path;
  for (const auto& a : args) out += " " + a;
  return out;
}

}  // namespace

container parse_container_summary(const json& item) {
  container c;
  c.id = str(item, "Id");
  for (auto& n : strings(item, "Names")) c.names.push_back(strip_slash(n));
  c.image = str(item, "Image");
  c.image_id = str(item, "ImageID");
  c.command = str(item, "Command");
  const json& created = member(item, "Created");
  if (created.is_number_integer()) c.created = std::to_string(created.get<std::int64_t>());
  c.state = str(item, "State");
  c.status = str(item, "Status");
  c.labels = string_map(member(item, "Labels"));
  c.networks = parse_networks(member(member(item, "NetworkSettings"), "Networks"));
  c.ports = parse_summary_ports(member(item, "Ports"));
  c.mounts = parse_mounts(member(item, "Mounts"));
  c.security.network_mode = str(member(item, "HostConfig"), "NetworkMode");
  for (const auto& m : c.mounts) {
    if (m.type == "bind" && is_docker_socket(m.source)) c.security.docker_socket_mounted = true;
  }
  return c;
}

container parse_container_inspect(const json& doc) {
  container c;
  c.inspected = true;
  c.id = str(doc, "Id");
  if (auto name = strip_slash(str(doc, "Name")); !name.empty()) c.names.push_back(name);
  const json& config = member(doc, "Config");
  const json& host = member(doc, "HostConfig");
  const json& state = member(doc, "State");
  c.image = str(config, "Image");
  c.image_id = str(doc, "Image");
  c.path = str(doc, "Path");
  c.args = strings(doc, "Args");
  c.command = join_command(c.path, c.args);
  c.created = str(doc, "Created");
  c.started_at = str(state, "StartedAt");
  c.finished_at = str(state, "FinishedAt");
  c.state = str(state, "Status");
  c.pid = static_cast<int>(integer(state, "Pid"));
  c.exit_code = static_cast<int>(integer(state, "ExitCode"));
  c.tty = boolean(config, "Tty");
  c.hostname = str(config, "Hostname");
  c.labels = string_map(member(config, "Labels"));
  c.networks = parse_networks(member(member(doc, "NetworkSettings"), "Networks"));
  c.ports = parse_inspect_ports(member(member(doc, "NetworkSettings"), "Ports"));
  c.mounts = parse_mounts(member(doc, "Mounts"));

  security_settings& s = c.security;
  s.privileged = boolean(host, "Privileged");
  s.cap_add = strings(host, "CapAdd");
  s.cap_drop = strings(host, "CapDrop");
  s.security_opt = strings(host, "SecurityOpt");
  s.network_mode = str(host, "NetworkMode");
  s.pid_mode = str(host, "PidMode");
  s.ipc_mode = str(host, "IpcMode");
  s.userns_mode = str(host, "UsernsMode");
  s.user = str(config, "User");
  s.readonly_rootfs = boolean(host, "ReadonlyRootfs");
  const json& pids = member(host, "PidsLimit");
  if (pids.is_number_integer()) s.pids_limit = pids.get<std::int64_t>();
  s.memory_limit = integer(host, "Memory");
  s.apparmor_profile = str(doc, "AppArmorProfile");
  for (const auto& m : c.mounts) {
    if (m.type == "bind" && is_docker_socket(m.source)) s.docker_socket_mounted = true;
  }
  return c;
}

}  // namespace forensic::engine
