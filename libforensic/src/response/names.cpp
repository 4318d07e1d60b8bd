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

nlohmann::json to_json(const namespace_sharer& s) {
  return {{"container_id", s.container_id}, {"container_name", s.container_name}};
}

namespace {

nlohmann::json sharers_json(const std::vector<namespace_sharer>& sharers) {
  auto out = nlohmann::json::array();
  for (const auto& s : sharers) out.push_back(to_json(s));
  return out;
}

const char* to_string(refusal r) noexcept {
  switch (r) {
    case refusal::none:
      return nullptr;
    case refusal::unenforceable:
      return "unenforceable";
    case refusal::case_conflict:
      return "case_conflict";
  }
  return nullptr;
}

}  // namespace

nlohmann::json to_json(const isolation_result& r) {
  nlohmann::json doc = {{"container_id", r.container_id},
                        {"container_name", r.container_name},
                        {"mode", to_string(r.mode)},
                        {"backend", r.backend},
                        {"changed", r.changed},
                        {"dry_run", r.dry_run},
                        {"commands", r.commands},
                        {"notes", r.notes},
                        {"sharing_namespace", sharers_json(r.sharing_namespace)},
                        {"fallback_reason", nullptr},
                        {"refused", nullptr}};
  if (!r.fallback_reason.empty()) doc["fallback_reason"] = r.fallback_reason;
  if (r.refused != refusal::none) {
    doc["refused"] = {{"reason", to_string(r.refused)}, {"message", r.refusal_message}};
  }
  return doc;
}

nlohmann::json to_json(const quarantine_record& r) {
  nlohmann::json doc = {{"container_id", r.container_id},
                        {"container_name", r.container_name},
                        {"case", r.case_id},
                        {"mode", to_string(r.mode)},
                        {"backend", r.backend},
                        {"host_veths", r.host_veths},
                        {"rules", r.rules},
                        {"since", r.since},
                        {"sharing_namespace", sharers_json(r.sharing_namespace)},
                        {"fallback_reason", nullptr},
                        {"status", r.status},
                        {"in_force", r.in_force},
                        {"matches_container", r.matches_container},
                        {"current_veths", r.current_veths},
                        {"current_addresses", r.current_addresses},
                        {"stale", r.stale}};
  if (!r.fallback_reason.empty()) doc["fallback_reason"] = r.fallback_reason;
  return doc;
}

}  // namespace forensic::response
