#pragma once
// Docker networks: listing them (all, or filtered as `docker network ls --filter` does),
// inspecting one, and attaching a container to one or detaching it.
//
// Documents are returned as the engine sent them: the network module reads the bridge naming
// options and IPAM config it needs from them.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "forensic/engine/client.hpp"

namespace forensic::engine {

// GET /networks, with ?filters= when some are given ({"driver", "bridge"}): the JSON array.
nlohmann::json list_networks(client& engine, const filter_list& filters = {});
// GET /networks/{id or name}. A missing network is errc::not_found.
nlohmann::json inspect_network(client& engine, std::string_view network);

// POST /networks/{id}/connect with {"Container": id, "EndpointConfig": endpoint_config}
// (aliases, a fixed IPAMConfig address, as the engine's EndpointSettings).
request connect_request(std::string_view network_id, std::string_view container_id,
                        const nlohmann::json& endpoint_config);
void connect_network(client& engine, std::string_view network_id, std::string_view container_id,
                     const nlohmann::json& endpoint_config);

// POST /networks/{id}/disconnect with {"Container": id, "Force": force}.
request disconnect_request(std::string_view network_id, std::string_view container_id,
                           bool force = false);
void disconnect_network(client& engine, std::string_view network_id, std::string_view container_id,
                        bool force = false);

}  // namespace forensic::engine
