// The `forensic.collect/1` document of a collection (what `ir-collect --json` prints).
#include <nlohmann/json.hpp>

#include "forensic/evidence/collector.hpp"

namespace forensic::evidence {

nlohmann::json to_json(const collect_result& r) {
  nlohmann::json artifacts = nlohmann::json::array(), failures = nlohmann::json::array();
  for (const auto& a : r.artifacts) {
    artifacts.push_back(
        {{"artifact", a.artifact}, {"path", a.path}, {"size", a.size}, {"sha256", a.sha256}});
  }
  for (const auto& f : r.failures) {
    failures.push_back({{"artifact", f.artifact}, {"error", f.error}, {"message", f.message}});
  }
  nlohmann::json not_collected = nlohmann::json::array();
  for (const auto& n : r.not_collected) {
    not_collected.push_back({{"artifact", n.artifact}, {"reason", n.reason}});
  }
  nlohmann::json j = {{"schema", "forensic.collect/1"},
                      {"bundle", r.bundle.string()},
                      {"container", {{"id", r.container_id}, {"name", r.container_name}}},
                      {"pause", r.pause_note},
                      {"artifacts", artifacts},
                      {"failures", failures},
                      {"not_collected", not_collected},
                      {"complete", r.complete()}};
  if (r.archive) {
    j["archive"] = {{"path", r.archive->path.string()}, {"sha256", r.archive->sha256}};
  }
  return j;
}

}  // namespace forensic::evidence
