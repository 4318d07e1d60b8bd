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
  j["socket"] = m.socket ? to_json(*m.socket) : json(nullptr);
  j["flow"] = m.flow ? to_json(*m.flow) : json(nullptr);
  if (m.kind == "packet") {
    j["packets"] = m.packets;
    j["interface"] = m.interface;
  }
  return j;
}

nlohmann::json to_json(const locate_result& r) {
  using nlohmann::json;
  json matches = json::array();
  for (const auto& m : r.matches) matches.push_back(to_json(m));
  return {{"schema", "forensic.locate/1"},
          {"address", r.address.to_string()},
          {"found", !r.matches.empty()},
          {"engine_available", r.engine_available},
          {"conntrack_source", r.conntrack_source},
          {"matches", matches},
          {"warnings", r.warnings},
          {"elapsed_ms", r.elapsed_ms}};
}

}  // namespace forensic::net
