// Engine JSON (an /containers/{id}/json document, or a /containers/json list) into the model and
// back to the JSON ir-ps prints: a broken or hostile engine shapes every key.
#include "forensic/engine/containers.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace engine = forensic::engine;
  auto doc = nlohmann::json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) return 0;
  (void)forensic::fuzz::dump(engine::to_json(engine::parse_container_inspect(doc)));
  (void)forensic::fuzz::dump(engine::to_json(engine::parse_container_summary(doc)));
  if (doc.is_array()) {
    for (const auto& item : doc) {
      (void)forensic::fuzz::dump(engine::to_json(engine::parse_container_summary(item)));
    }
  }
  return 0;
}
