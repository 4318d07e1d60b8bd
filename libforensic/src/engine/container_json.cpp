// The stable JSON form of the container model (documented in docs/json.md). Field names only
// ever get added; renaming or removing one is a breaking change.
#include <nlohmann/json.hpp>

#include "forensic/engine/containers.hpp"

namespace forensic::engine {

nlohmann::json to_json(const container& c) {
  using nlohmann::json;
  json networks = json::array();
  for (const auto& n : c.networks) {
    networks.push_back({{"name", n.name},
                        {"network_id", n.network_id},
                        {"endpoint_id", n.endpoint_id},
                        {"ipv4", n.ipv4},
                        {"ipv4_prefix", n.ipv4_prefix},
                        {"ipv6", n.ipv6},
                        {"ipv6_prefix", n.ipv6_prefix},
                        {"mac", n.mac},
                        {"gateway", n.gateway},
                        {"ipv6_gateway", n.ipv6_gateway},
                        {"aliases", n.aliases}});
  }
  json ports = json::array();
  for (const auto& p : c.ports) {
    ports.push_back({{"container_port", p.container_port},
                     {"protocol", p.protocol},
                     {"host_ip", p.host_ip},
                     {"host_port", p.host_port}});
  }
  json mounts = json::array();
  for (const auto& m : c.mounts) {
    mounts.push_back({{"type", m.type},
                      {"name", m.name},
                      {"source", m.source},
                      {"destination", m.destination},
                      {"mode", m.mode},
                      {"read_write", m.read_write}});
  }
  const security_settings& s = c.security;
  json security = {{"privileged", s.privileged},
                   {"cap_add", s.cap_add},
                   {"cap_drop", s.cap_drop},
                   {"security_opt", s.security_opt},
                   {"network_mode", s.network_mode},
                   {"pid_mode", s.pid_mode},
                   {"ipc_mode", s.ipc_mode},
                   {"userns_mode", s.userns_mode},
                   {"user", s.user},
                   {"readonly_rootfs", s.readonly_rootfs},
                   {"pids_limit", s.pids_limit ? json(*s.pids_limit) : json(nullptr)},
                   {"memory_limit", s.memory_limit},
                   {"docker_socket_mounted", s.docker_socket_mounted},
                   {"apparmor_profile", s.apparmor_profile}};
  return {{"id", c.id},
          {"name", c.name()},
          {"names", c.names},
          {"image", c.image},
          {"image_id", c.image_id},
          {"command", c.command},
          {"created", c.created},
          {"started_at", c.started_at},
          {"finished_at", c.finished_at},
          {"state", c.state},
          {"status", c.status},
          {"pid", c.pid},
          {"exit_code", c.exit_code},
          {"tty", c.tty},
          {"hostname", c.hostname},
          {"labels", c.labels},
          {"compose_project", c.compose_project()},
          {"compose_service", c.compose_service()},
          {"kubernetes_pod", c.kubernetes_pod()},
          {"kubernetes_namespace", c.kubernetes_namespace()},
          {"networks", networks},
          {"ports", ports},
          {"mounts", mounts},
          {"security", security},
          {"risk_flags", c.risk_flags()},
          {"inspected", c.inspected}};
}

nlohmann::json to_json(const std::vector<container>& containers, std::string_view engine) {
  nlohmann::json doc = {{"schema", "forensic.ps/1"},
                        {"engine", std::string(engine)},
                        {"containers", nlohmann::json::array()}};
  for (const auto& c : containers) doc["containers"].push_back(to_json(c));
  return doc;
}

}  // namespace forensic::engine
