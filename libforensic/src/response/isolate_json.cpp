// The `forensic.isolate/1` documents: the schema wrapped around to_json of a result or records.
#include <nlohmann/json.hpp>

#include "forensic/response/isolator.hpp"

namespace forensic::response {

nlohmann::json to_document(const isolation_result& r) {
  return {{"schema", "forensic.isolate/1"}, {"result", to_json(r)}};
}

nlohmann::json to_document(const std::vector<quarantine_record>& records) {
  nlohmann::json doc = {{"schema", "forensic.isolate/1"}, {"quarantined", nlohmann::json::array()}};
  for (const auto& r : records) doc["quarantined"].push_back(to_json(r));
  return doc;
}

}  // namespace forensic::response
