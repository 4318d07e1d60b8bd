// The tools' JSON printer: the same text as nlohmann's dump, whole or built piece by piece.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cli/tool.hpp"

using nlohmann::json;

namespace {

std::string dumped(const json& doc) {
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string printed(const json& doc) {
  std::ostringstream out;
  forensic::cli::print_json(out, doc);
  return out.str();
}

std::string streamed(const json& head, const std::string& key, const std::vector<json>& items) {
  std::ostringstream out;
  forensic::cli::print_json(out, head, key, items.size(), [&](std::size_t i) { return items[i]; });
  return out.str();
}

json item(int k) {
  return {{"id", std::string(64, 'a')},
          {"name", "c\"" + std::to_string(k) + "\\\n\x01"},
          {"bad", std::string("\xff\xfe invalid UTF-8")},
          {"nested", {{"list", {1, 2, json::object(), json::array()}}, {"none", nullptr}}},
          {"empty", json::object()}};
}

}  // namespace

TEST_CASE("cli::print_json writes what dump writes, larger than its buffer included") {
  CHECK(printed(json::object()) == dumped(json::object()));
  CHECK(printed(json::array()) == dumped(json::array()));
  CHECK(printed(json("text")) == dumped(json("text")));
  json big = json::object();
  for (int k = 0; k < 2000; ++k) big["key \"" + std::to_string(k) + "\""] = item(k);
  CHECK(printed(big).size() > 64 * 1024);
  CHECK(printed(big) == dumped(big));
}

TEST_CASE("cli::print_json with one member built piece by piece writes the whole document") {
  const json head = {
      {"schema", "forensic.ps/1"}, {"containers", json::array()}, {"b", 1}, {"z", {{"k", "v"}}}};
  std::vector<json> items;
  for (int k = 0; k < 700; ++k) items.push_back(item(k));
  json whole = head;
  whole["containers"] = items;
  CHECK(streamed(head, "containers", items) == dumped(whole));
  CHECK(streamed(head, "containers", {}) == dumped(head));
  json one = head;
  one["containers"] = json::array({item(1)});
  CHECK(streamed(head, "containers", {item(1)}) == dumped(one));
  // A key the document lacks prints the document as it is.
  CHECK(streamed(head, "absent", items) == dumped(head));
}
