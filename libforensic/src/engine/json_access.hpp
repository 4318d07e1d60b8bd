#pragma once
// Reading members of the engine's JSON, where any key may be missing, null or of another type
// depending on API version and state.
#include <nlohmann/json.hpp>
#include <string>

namespace forensic::engine::detail {

// `j[key]`, or a null value when `j` is not an object or has no such key.
inline const nlohmann::json& member(const nlohmann::json& j, const char* key) {
  static const nlohmann::json null_value;
  if (!j.is_object()) return null_value;
  auto it = j.find(key);
  return it == j.end() ? null_value : *it;
}

// `j[key]` when it is a string, else "".
inline std::string str(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = member(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

}  // namespace forensic::engine::detail
