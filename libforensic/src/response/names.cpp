// Names of modes and backends as the tools print and parse them, and the JSON forms.
#include <nlohmann/json.hpp>

#include "forensic/error.hpp"
#include "forensic/response/isolator.hpp"

namespace forensic::response {

const char* to_string(isolation_mode m) noexcept {
  switch (m) {
    case isolation_mode::network:
      return "network";
    case isolation_mode::pause:
      return "pause";
    case isolation_mode::disconnect:
      return "disconnect";
  }
  return "network";
}

isolation_mode parse_isolation_mode(std::string_view text) {
  if (text == "network") return isolation_mode::network;
  if (text == "pause") return isolation_mode::pause;
  if (text == "disconnect") return isolation_mode::disconnect;
  throw error(errc::invalid_argument,
              "mode '" + std::string(text) + "' is not one of network, pause, disconnect");
}

const char* to_string(firewall_kind k) noexcept {
  switch (k) {
    case firewall_kind::iptables_legacy:
      return "iptables-legacy";
    case firewall_kind::iptables_nft:
      return "iptables-nft";
    case firewall_kind::tc:
      return "tc";
  }
  return "tc";
}

firewall_kind parse_firewall_kind(std::string_view text) {
  if (text == "iptables-legacy") return firewall_kind::iptables_legacy;
  if (text == "iptables-nft") return firewall_kind::iptables_nft;
  if (text == "tc") return firewall_kind::tc;
  throw error(errc::invalid_argument, "backend '" + std::string(text) +
                                          "' is not one of iptables-legacy, iptables-nft, tc");
}

nlohmann::json to_json(const isolation_result& r) {
  return {{"container_id", r.container_id}, {"container_name", r.container_name},
          {"mode", to_string(r.mode)},      {"backend", r.backend},
          {"changed", r.changed},           {"dry_run", r.dry_run},
          {"commands", r.commands},         {"notes", r.notes}};
}

nlohmann::json to_json(const quarantine_record& r) {
  return {{"container_id", r.container_id},
          {"container_name", r.container_name},
          {"case", r.case_id},
          {"mode", to_string(r.mode)},
          {"backend", r.backend},
          {"host_veths", r.host_veths},
          {"rules", r.rules},
          {"since", r.since}};
}

}  // namespace forensic::response
