#pragma once
// A parser callback that keeps, of an inspect document, only what parse_container_inspect
// reads: a third of ir-ps's parsing of 100 inspects went into subtrees (GraphDriver, Env, the
// rest of HostConfig) that were then thrown away. The result parses to the same container.
#include <nlohmann/json.hpp>

namespace forensic::engine {

nlohmann::json::parser_callback_t inspect_fields_filter();

}  // namespace forensic::engine
