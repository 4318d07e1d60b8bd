#include <nlohmann/json.hpp>

#include "forensic/net/locate.hpp"

namespace forensic::net {

nlohmann::json to_json(const locate_match& m) {
  using nlohmann::json;
  json j = {{"kind", m.kind},
            {"container_id", m.container_id},
            {"container_name", m.container_name},
            {"name_known", !m.container_name.empty()},
            {"network", m.network},
            {"container_address", m.container_address},
            {"namespace", m.namespace_note},
            {"summary", m.summary}};
  json shares = json::array();
  for (const auto& c : m.shares_namespace) {
    shares.push_back({{"id", c.id}, {"name", c.name}, {"name_known", !c.name.empty()}});
  }
  j["shares_namespace"] = std::move(shares);
  j["socket"] = m.socket ? to_json(*m.socket) : json(nullptr);
  j["flow"] = m.flow ? to_json(*m.flow) : json(nullptr);
  j["proxy"] = m.proxy ? to_json(*m.proxy) : json(nullptr);
  if (m.kind == "conntrack") {
    j["count"] = m.count;
    j["first_seen"] = m.first_seen.empty() ? json(nullptr) : json(m.first_seen);
    j["last_seen"] = m.last_seen.empty() ? json(nullptr) : json(m.last_seen);
    j["seen_from"] = m.seen_from;
  }
  if (m.kind == "packet") {
    j["packets"] = m.packets;
    j["interface"] = m.interface;
  }
  return j;
}

std::string address_text(const io::ip_address& a) {
  return a.zone.empty() ? a.to_string() : a.to_string() + "%" + a.zone;
}

nlohmann::json to_json(const locate_result& r) {
  using nlohmann::json;
  json matches = json::array();
  for (const auto& m : r.matches) matches.push_back(to_json(m));
  return {{"schema", "forensic.locate/1"},
          {"address", address_text(r.address)},
          {"host_address", r.host_address},
          {"found", !r.matches.empty()},
          {"engine_available", r.engine_available},
          {"conntrack_source", r.conntrack_source},
          {"matches", matches},
          {"warnings", r.warnings},
          {"elapsed_ms", r.elapsed_ms}};
}

}  // namespace forensic::net
