// Engine JSON (an /containers/{id}/json document, or a /containers/json list) into the model and
// back to the JSON ir-ps prints, and as an engine state record: a broken or hostile engine shapes
// every key.
#include "engine/state_files.hpp"
#include "forensic/engine/containers.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace engine = forensic::engine;
  auto doc = nlohmann::json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) return 0;
  (void)forensic::fuzz::dump(engine::to_json(engine::parse_container_inspect(doc)));
  (void)forensic::fuzz::dump(engine::to_json(engine::parse_container_summary(doc)));
  // The document as an engine state record and as its list entry at once (engine/state_files.hpp).
  const auto record = engine::detail::make_state_record(doc, doc);
  if (auto built =
          engine::detail::container_from_state(record, engine::parse_container_summary(doc), doc)) {
    (void)forensic::fuzz::dump(engine::to_json(*built));
  }
  if (doc.is_array()) {
    for (const auto& item : doc) {
      (void)forensic::fuzz::dump(engine::to_json(engine::parse_container_summary(item)));
    }
  }
  return 0;
}
