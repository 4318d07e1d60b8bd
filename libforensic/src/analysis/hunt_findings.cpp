// hunt/hunt.json (forensic.hunt/1, written by the collector's hunt artifact): what the kernel
// ran beside the container that the engine did not account for, as findings of the report.
#include "analysis/context.hpp"
#include "analysis/json_fields.hpp"

namespace forensic::analysis::detail {

void analyze_hunt(context& c) {
  constexpr const char* source = "hunt/hunt.json";
  const auto doc = c.json_file(source);
  if (!doc || !doc->is_object()) return;
  if (text(*doc, "schema") != "forensic.hunt/1") {
    c.report.warnings.push_back(std::string(source) + ": schema '" + text(*doc, "schema") +
                                "' is not forensic.hunt/1; skipped");
    return;
  }
  const auto findings = doc->find("findings");
  if (findings == doc->end() || !findings->is_array()) return;
  for (const auto& f : *findings) {
    if (!f.is_object()) continue;
    const std::string level = text(f, "severity");
    const severity s = level == "high"     ? severity::high
                       : level == "medium" ? severity::medium
                                           : severity::low;
    c.add({"process", "hunt_" + text(f, "kind"), s, "kernel vs engine: " + text(f, "summary"),
           source, text(*doc, "hunted_at"), f});
  }
}

}  // namespace forensic::analysis::detail
