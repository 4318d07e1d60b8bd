#pragma once
// Fields of bundle JSON, read as its holder left them. nlohmann's value(key, default) throws when
// the field is there with another type, and that stopped a whole part of the analysis (every
// process's findings, for one odd flag): here a field of an unexpected type reads as absent.
#include <nlohmann/json.hpp>
#include <string>

namespace forensic::analysis::detail {

// A string field, or an integer or boolean one written out as text; "" otherwise.
inline std::string text(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return {};
  const auto it = j.find(key);
  if (it == j.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<long long>());
  if (it->is_boolean()) return it->get<bool>() ? "true" : "false";
  return {};
}

// True only for a boolean true.
inline bool flag(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return false;
  const auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

// An integer field; `fallback` when absent or of another type.
inline long long integer(const nlohmann::json& j, const char* key, long long fallback) {
  if (!j.is_object()) return fallback;
  const auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<long long>() : fallback;
}

}  // namespace forensic::analysis::detail
