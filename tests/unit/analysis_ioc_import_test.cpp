// STIX 2.1 and MISP indicators (docs/ioc-format.md): the same entries, hence the same hits, as
// the text format gives for the same indicators; what cannot be used is reported, never thrown.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "forensic/analysis/ioc.hpp"

using forensic::analysis::ioc_set;

namespace {

const std::string fixtures = std::string(FORENSIC_FIXTURES_DIR) + "/ioc/";

std::set<std::pair<std::string, std::string>> typed_values(const ioc_set& s) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& e : s.entries()) out.emplace(e.type, e.value);
  return out;
}

}  // namespace

TEST_CASE("STIX and MISP files load as the same indicators as the text format") {
  const auto text = ioc_set::load(fixtures + "iocs.txt");
  const auto stix = ioc_set::load(fixtures + "iocs.stix.json");
  const auto misp = ioc_set::load(fixtures + "iocs.misp.json");
  CHECK(text.format() == "text");
  CHECK(stix.format() == "stix");
  CHECK(misp.format() == "misp");
  REQUIRE(text.entries().size() == 6);
  CHECK(typed_values(stix) == typed_values(text));
  CHECK(typed_values(misp) == typed_values(text));
  for (const ioc_set* s : {&text, &stix, &misp}) {
    CHECK(s->match_address("::ffff:203.0.113.66") != nullptr);
    CHECK(s->match_address("198.51.100.7") != nullptr);
    CHECK(s->match_address("2001:db8::66") != nullptr);
    CHECK(s->match_domain("x.evil.example") != nullptr);
    CHECK(s->match_domain("c2.example") != nullptr);
    CHECK(s->match_sha256("9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"));
    CHECK(s->match_address("192.0.2.1") == nullptr);
  }
  // The note names where the indicator came from.
  CHECK(stix.match_address("203.0.113.66")->note.find("C2 from the beacon") != std::string::npos);
  CHECK(stix.match_address("203.0.113.66")->note.find("indicator--a1b2c3d4-0001") !=
        std::string::npos);
  CHECK(misp.match_address("203.0.113.66")->note.find("IR-2026-042 beacon") != std::string::npos);
  // An MD5 and an AND pattern cannot be matched: reported, not dropped silently.
  REQUIRE(stix.errors().size() == 2);
  CHECK(stix.errors()[0].find("MD5") != std::string::npos);
  CHECK(stix.errors()[1].find("AND") != std::string::npos);
  REQUIRE(misp.errors().size() == 1);
  CHECK(misp.errors()[0].find("md5") != std::string::npos);
}

TEST_CASE("STIX patterns: several comparisons, escapes, odd spacing, and bad documents reported") {
  auto s = ioc_set::parse_stix(R"({"type":"bundle","objects":[
    {"type":"indicator","id":"indicator--1","pattern":"([domain-name:value='a.example'] OR [url:value = 'https://[2001:db8::5]:443/x']) OR [ipv4-addr:value = '203.0.113.0/24']"},
    {"type":"indicator","id":"indicator--2","pattern":"[domain-name:value = 'it\\'s.example']"},
    {"type":"indicator","id":"indicator--3","pattern_type":"sigma","pattern":"x"},
    {"type":"indicator","id":"indicator--4","pattern":5}]})");
  REQUIRE(s.entries().size() == 3);
  CHECK(s.entries()[0].value == "a.example");
  CHECK(s.entries()[1].type == "ip");
  CHECK(s.entries()[1].value == "2001:db8::5");
  CHECK(s.entries()[2].type == "cidr");
  CHECK(s.errors().size() == 3);  // the quote in a name, sigma, no pattern
  for (const char* bad : {"", "[]", "{", R"({"type":"bundle"})", R"({"type":"bundle","objects":7})",
                          R"({"Event":5})", R"([{"Event":{"Attribute":[5,{"type":7}]}}])"}) {
    CHECK_NOTHROW((void)ioc_set::parse_stix(bad));
    CHECK_NOTHROW((void)ioc_set::parse_misp(bad));
  }
  CHECK_FALSE(ioc_set::parse_stix("[]").errors().empty());
  CHECK_FALSE(ioc_set::parse_misp("{}").errors().empty());
}

TEST_CASE("MISP: a list of events and the response envelope") {
  const std::string event =
      R"({"Event":{"info":"x","Attribute":[{"type":"domain|ip","value":"evil.example|203.0.113.9"},{"type":"hostname","value":"h.example"}]}})";
  const auto list = ioc_set::parse_misp("[" + event + "]");
  const auto response = ioc_set::parse_misp(R"({"response":[)" + event + "]}");
  REQUIRE(list.entries().size() == 3);
  CHECK(typed_values(list) == typed_values(response));
  CHECK(list.match_address("203.0.113.9") != nullptr);
  CHECK(list.match_domain("h.example") != nullptr);
}
