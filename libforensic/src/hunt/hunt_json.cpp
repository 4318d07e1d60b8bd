// The forensic.hunt/1 document (docs/json-hunt.md) and the part of it about one container.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "forensic/hunt/hunt.hpp"
#include "forensic/net/links.hpp"

namespace forensic::hunt {
namespace {

using nlohmann::json;

json to_json(const namespace_ids& ns) {
  json j = json::object();
  for (std::size_t k = 0; k < std::size(namespace_kinds); ++k) {
    j[std::string(namespace_kinds[k])] = ns.inode[k];
  }
  return j;
}

json to_json(const process_group& g) {
  return {
      {"namespaces", to_json(g.ns)},        {"cgroup", g.cgroup}, {"container_id", g.container_id},
      {"container_name", g.container_name}, {"pids", g.pids},     {"comms", g.comms}};
}

json to_json(const network_namespace& n) {
  json interfaces = json::array();
  for (const auto& i : n.interfaces) interfaces.push_back(net::to_json(i));
  return {{"inode", n.inode},
          {"pids", n.pids},
          {"mounts", n.mounts},
          {"containers", n.containers},
          {"interfaces_read", n.interfaces_read},
          {"error", n.error},
          {"interfaces", interfaces}};
}

bool holds(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

json to_json(const hunt_finding& f) {
  return {{"kind", f.kind},
          {"severity", f.severity},
          {"summary", f.summary},
          {"container_id", f.container_id},
          {"container_name", f.container_name},
          {"pids", f.pids},
          {"namespace", f.namespace_kind.empty()
                            ? json(nullptr)
                            : json{{"kind", f.namespace_kind}, {"inode", f.namespace_inode}}},
          {"bridges", f.bridges},
          {"facts", f.facts}};
}

json to_json(const hunt_report& r) {
  json groups = json::array(), netns = json::array(), findings = json::array();
  for (const auto& g : r.groups) groups.push_back(to_json(g));
  for (const auto& n : r.network_namespaces) netns.push_back(to_json(n));
  for (const auto& f : r.findings) findings.push_back(to_json(f));
  return {{"schema", "forensic.hunt/1"},
          {"hunted_at", r.hunted_at},
          {"engine", r.engine},
          {"host_namespaces", to_json(r.host)},
          {"process_count", r.process_count},
          {"container_count", r.container_count},
          {"findings", findings},
          {"groups", groups},
          {"network_namespaces", netns},
          {"warnings", r.warnings}};
}

hunt_report about_container(const hunt_report& report, const std::string& container_id) {
  hunt_report out;
  out.hunted_at = report.hunted_at;
  out.engine = report.engine;
  out.host = report.host;
  out.process_count = report.process_count;
  out.container_count = report.container_count;
  out.warnings = report.warnings;
  std::vector<std::string> bridges;  // those the container's own veths are on
  for (const auto& n : report.network_namespaces) {
    if (!holds(n.containers, container_id)) continue;
    out.network_namespaces.push_back(n);
    for (const auto& i : n.interfaces) {
      if (!i.bridge.empty()) bridges.push_back(i.bridge);
    }
  }
  for (const auto& g : report.groups) {
    if (g.container_id == container_id) out.groups.push_back(g);
  }
  for (const auto& f : report.findings) {
    const bool shares_bridge = std::any_of(f.bridges.begin(), f.bridges.end(),
                                           [&](const std::string& b) { return holds(bridges, b); });
    if (f.container_id == container_id || shares_bridge) out.findings.push_back(f);
  }
  return out;
}

}  // namespace forensic::hunt
