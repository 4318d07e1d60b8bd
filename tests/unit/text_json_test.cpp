// text::append_json: byte for byte nlohmann's dump(indent, ' ', false, replace), on documents
// shaped at random (strings of any bytes, numbers of every kind, nesting) and on the edges.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "forensic/text/json_text.hpp"

using forensic::text::append_json;
using forensic::text::json_text;
using nlohmann::json;

namespace {

std::string dumped(const json& doc, int indent) {
  return doc.dump(indent, ' ', false, json::error_handler_t::replace);
}

class shapes {
 public:
  explicit shapes(std::uint32_t seed) : rng_(seed) {}

  std::string text() {
    std::string s;
    const auto length = pick(12);
    const auto kind = pick(5);
    for (std::size_t i = 0; i < length; ++i) {
      switch (kind) {
        case 0:
          s += static_cast<char>(' ' + pick(95));
          break;  // printable ASCII
        case 1:
          s += static_cast<char>(pick(128));
          break;  // any ASCII
        case 2:
          s += static_cast<char>(pick(256));
          break;  // any byte
        case 3:
          s += pick(3) ? "\xc3\xa9" : "\xf0\x9f\x90\xb3";
          break;  // valid UTF-8
        default:
          s += pick(2) ? std::string("\xe2\x82") : std::string("a\"\\/\x7f");
          break;
      }
    }
    return s;
  }

  json value(int depth) {
    switch (pick(depth > 3 ? 7 : 9)) {
      case 0:
        return nullptr;
      case 1:
        return pick(2) == 1;
      case 2:
        return static_cast<std::int64_t>(rng_()) - static_cast<std::int64_t>(rng_());
      case 3:
        return static_cast<std::uint64_t>(rng_()) << 32 | rng_();
      case 4:
        return static_cast<double>(static_cast<std::int32_t>(rng_())) / 7.0;
      case 5:
        return text();
      case 6:
        return pick(2) ? std::numeric_limits<std::int64_t>::min() : std::int64_t{0};
      case 7: {
        json a = json::array();
        for (std::size_t i = pick(4); i > 0; --i) a.push_back(value(depth + 1));
        return a;
      }
      default: {
        json o = json::object();
        for (std::size_t i = pick(5); i > 0; --i) o[text()] = value(depth + 1);
        return o;
      }
    }
  }

 private:
  std::size_t pick(std::size_t n) { return rng_() % n; }
  std::mt19937 rng_;
};

}  // namespace

TEST_CASE("text::append_json writes what nlohmann's dump writes, compact and indented") {
  shapes make(20261203);
  for (int round = 0; round < 3000; ++round) {
    const json doc = make.value(0);
    for (const int indent : {-1, 0, 2, 4}) {
      INFO("round " << round << " indent " << indent);
      REQUIRE(json_text(doc, indent) == dumped(doc, indent));
    }
  }
}

TEST_CASE("text::append_json: every single byte, and broken UTF-8 at the end of a string") {
  for (int c = 0; c < 256; ++c) {
    const json one = std::string("x") + static_cast<char>(c) + "y";
    CHECK(json_text(one) == dumped(one, -1));
    const json key = json::object({{std::string(1, static_cast<char>(c)), c}});
    CHECK(json_text(key, 2) == dumped(key, 2));
  }
  for (const char* s : {"\xe2\x82", "\xe2\x82\xac", "ab\xf0", "\xc3", "\xed\xa0\x80", "\xc0\xaf"}) {
    CHECK(json_text(json(s)) == dumped(json(s), -1));
  }
  CHECK(json_text(json(1.5)) == "1.5");
  CHECK(json_text(json(std::numeric_limits<double>::infinity())) == "null");
  CHECK(json_text(json::object()) == "{}");
  CHECK(json_text(json::array(), 2) == "[]");
}

TEST_CASE("text::append_json hands its text over in pieces at member and element ends") {
  json doc = json::object();
  for (int k = 0; k < 500; ++k) doc["k" + std::to_string(k)] = {{"v", std::string(100, 'v')}};
  std::string written;
  std::size_t handed = 0;
  const forensic::text::json_pieces pieces{4096, [&](std::string& out) {
                                             CHECK(out.size() >= 4096);
                                             written += out;
                                             out.clear();
                                             ++handed;
                                           }};
  std::string out = "  ";
  append_json(out, doc, 2, 2, &pieces);
  written += out;
  CHECK(handed > 10);
  CHECK(written.starts_with("  {\n    \"k0\": {"));
  // Nested at two spaces: the same as the document placed inside another.
  const json outer = json::object({{"a", doc}});
  const std::string whole = dumped(outer, 2);
  CHECK(whole == "{\n  \"a\": " + written.substr(2) + "\n}");
}
