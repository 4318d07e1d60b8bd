#pragma once
// Building a JSON object member by member. A braced {{"key", value}, ...} list builds a
// two-element array per member and copies every nested document once more: a third of ir-ps's
// own work at 300 containers went into that.
#include <nlohmann/json.hpp>
#include <utility>

namespace forensic::text {

class json_members {
 public:
  json_members()
      : doc_(nlohmann::json::value_t::object), o_(*doc_.get_ptr<nlohmann::json::object_t*>()) {}
  template <class T>
  json_members& add(const char* key, T&& value) {
    o_.emplace(key, nlohmann::json(std::forward<T>(value)));
    return *this;
  }
  nlohmann::json take() { return std::move(doc_); }

 private:
  nlohmann::json doc_;
  nlohmann::json::object_t& o_;
};

}  // namespace forensic::text
