#pragma once
// Reading a field of a report's JSON as text, for the formats that print it.
#include <nlohmann/json.hpp>
#include <string>

namespace forensic::formats::detail {

// The field `key` of `o` as text: a string as it is, a number as JSON writes it; "" when `o` is
// not an object, or the field is missing or of another type.
inline std::string text_of(const nlohmann::json& o, const char* key) {
  if (!o.is_object()) return "";
  const auto it = o.find(key);
  if (it == o.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return "";
}

}  // namespace forensic::formats::detail
