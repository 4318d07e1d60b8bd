#include "forensic/engine/networks.hpp"

namespace forensic::engine {
namespace {

std::string network_path(std::string_view network_id, std::string_view what) {
  return "/networks/" + std::string(network_id) + "/" + std::string(what);
}

}  // namespace

nlohmann::json list_networks(client& engine, const filter_list& filters) {
  return engine.get_json(filters.empty() ? std::string("/networks")
                                         : "/networks?filters=" + encode_filters(filters));
}

nlohmann::json inspect_network(client& engine, std::string_view network) {
  return engine.get_json("/networks/" + url_encode(network));
}

request connect_request(std::string_view network_id, std::string_view container_id,
                        const nlohmann::json& endpoint_config) {
  const nlohmann::json body{{"Container", std::string(container_id)},
                            {"EndpointConfig", endpoint_config}};
  return request::post(network_path(network_id, "connect"), body.dump());
}

void connect_network(client& engine, std::string_view network_id, std::string_view container_id,
                     const nlohmann::json& endpoint_config) {
  io::string_sink answer;
  engine.call(connect_request(network_id, container_id, endpoint_config), answer);
}

request disconnect_request(std::string_view network_id, std::string_view container_id, bool force) {
  const nlohmann::json body{{"Container", std::string(container_id)}, {"Force", force}};
  return request::post(network_path(network_id, "disconnect"), body.dump());
}

void disconnect_network(client& engine, std::string_view network_id, std::string_view container_id,
                        bool force) {
  io::string_sink answer;
  engine.call(disconnect_request(network_id, container_id, force), answer);
}

}  // namespace forensic::engine
