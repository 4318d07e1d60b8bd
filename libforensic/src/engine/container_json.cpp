// The stable JSON form of the container model (documented in docs/json.md). Field names only
// ever get added; renaming or removing one is a breaking change.
#include <nlohmann/json.hpp>
#include <utility>

#include "forensic/engine/containers.hpp"
#include "text/json_members.hpp"

namespace forensic::engine {

namespace {

using nlohmann::json;
using members = text::json_members;

}  // namespace

nlohmann::json to_json(const container& c) {
  json networks = json::array();
  auto& network_list = *networks.get_ptr<json::array_t*>();
  network_list.reserve(c.networks.size());
  for (const auto& n : c.networks) {
    network_list.push_back(members()
                               .add("name", n.name)
                               .add("network_id", n.network_id)
                               .add("endpoint_id", n.endpoint_id)
                               .add("ipv4", n.ipv4)
                               .add("ipv4_prefix", n.ipv4_prefix)
                               .add("ipv6", n.ipv6)
                               .add("ipv6_prefix", n.ipv6_prefix)
                               .add("mac", n.mac)
                               .add("gateway", n.gateway)
                               .add("ipv6_gateway", n.ipv6_gateway)
                               .add("aliases", n.aliases)
                               .take());
  }
  json ports = json::array();
  for (const auto& p : c.ports) {
    ports.push_back(members()
                        .add("container_port", p.container_port)
                        .add("protocol", p.protocol)
                        .add("host_ip", p.host_ip)
                        .add("host_port", p.host_port)
                        .take());
  }
  json mounts = json::array();
  for (const auto& m : c.mounts) {
    mounts.push_back(members()
                         .add("type", m.type)
                         .add("name", m.name)
                         .add("source", m.source)
                         .add("destination", m.destination)
                         .add("mode", m.mode)
                         .add("read_write", m.read_write)
                         .take());
  }
  const security_settings& s = c.security;
  json security = members()
                      .add("privileged", s.privileged)
                      .add("cap_add", s.cap_add)
                      .add("cap_drop", s.cap_drop)
                      .add("security_opt", s.security_opt)
                      .add("network_mode", s.network_mode)
                      .add("pid_mode", s.pid_mode)
                      .add("ipc_mode", s.ipc_mode)
                      .add("userns_mode", s.userns_mode)
                      .add("user", s.user)
                      .add("readonly_rootfs", s.readonly_rootfs)
                      .add("pids_limit", s.pids_limit ? json(*s.pids_limit) : json(nullptr))
                      .add("memory_limit", s.memory_limit)
                      .add("docker_socket_mounted", s.docker_socket_mounted)
                      .add("apparmor_profile", s.apparmor_profile)
                      .take();
  return members()
      .add("id", c.id)
      .add("name", c.name())
      .add("names", c.names)
      .add("image", c.image)
      .add("image_id", c.image_id)
      .add("command", c.command)
      .add("created", c.created)
      .add("started_at", c.started_at)
      .add("finished_at", c.finished_at)
      .add("state", c.state)
      .add("status", c.status)
      .add("pid", c.pid)
      .add("exit_code", c.exit_code)
      .add("tty", c.tty)
      .add("hostname", c.hostname)
      .add("labels", c.labels)
      .add("compose_project", c.compose_project())
      .add("compose_service", c.compose_service())
      .add("kubernetes_pod", c.kubernetes_pod())
      .add("kubernetes_namespace", c.kubernetes_namespace())
      .add("networks", std::move(networks))
      .add("ports", std::move(ports))
      .add("mounts", std::move(mounts))
      .add("security", std::move(security))
      .add("risk_flags", c.risk_flags())
      .add("inspected", c.inspected)
      .add("details_from", c.details_from)
      .take();
}

nlohmann::json to_json(const std::vector<container>& containers, std::string_view engine) {
  json list = json::array();
  list.get_ptr<json::array_t*>()->reserve(containers.size());
  for (const auto& c : containers) list.push_back(to_json(c));
  return members()
      .add("schema", "forensic.ps/1")
      .add("engine", std::string(engine))
      .add("containers", std::move(list))
      .take();
}

}  // namespace forensic::engine
