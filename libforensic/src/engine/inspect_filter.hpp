#pragma once
// What of an inspect document parse_container_inspect reads: a third of ir-ps's parsing of 100
// inspects went into subtrees (GraphDriver, Env, the rest of HostConfig) that were then thrown
// away. The result parses to the same container.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace forensic::engine {

// A parser callback that keeps only those members (nlohmann builds nothing of the rest, but
// still lexes it character by character).
nlohmann::json::parser_callback_t inspect_fields_filter();

// The same members copied out of the document's text, the rest stepped over by a scan that
// checks the JSON structure (strings, escapes, numbers, literals, nesting) but builds nothing
// and decodes nothing: the JSON parser then lexes only what is read (about half an inspect).
// nullopt when `body` is not an object, is not JSON, nests deeper than 256, or has a key with
// an escape at the levels filtered: the caller then parses it whole with the callback.
// Unlike the parser, the scan does not check the UTF-8 of the strings it drops.
std::optional<std::string> skim_inspect(std::string_view body);

// skim_inspect() parsed, else `body` parsed with inspect_fields_filter(); a discarded value
// when it is not JSON. A body that is not an object (the list call) passes whole.
nlohmann::json parse_inspect_body(std::string_view body);

// The engine's hostconfig.json (an inspect document's HostConfig on its own) with the members
// parse_container_inspect reads, skimmed and parsed as parse_inspect_body() does; a discarded
// value when it is not JSON.
nlohmann::json parse_host_config_body(std::string_view body);

}  // namespace forensic::engine
