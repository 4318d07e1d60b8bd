// The IOC file format (docs/ioc-format.md) and matching.
#include <doctest/doctest.h>

#include "forensic/analysis/ioc.hpp"

using forensic::analysis::ioc_set;

TEST_CASE("IOC lines: typed, bare, comments, notes, and unreadable lines reported") {
  auto s = ioc_set::parse(
      "# case IR-42\n"
      "ip 203.0.113.66   # C2 from the beacon\n"
      "cidr 198.51.100.0/24\n"
      "domain Evil.Example.\n"
      "sha256 E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\n"
      "2001:db8::66\n"
      "bad.example\n"
      "\n"
      "ip not-an-address\n"
      "weird-token\n");
  REQUIRE(s.entries().size() == 6);
  CHECK(s.entries()[0].type == "ip");
  CHECK(s.entries()[0].note == "C2 from the beacon");
  CHECK(s.entries()[0].line == 2);
  CHECK(s.entries()[2].value == "evil.example");
  CHECK(s.entries()[3].value == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(s.entries()[4].type == "ip");
  CHECK(s.entries()[5].type == "domain");
  CHECK(s.errors().size() == 2);
  CHECK(s.has_hashes());
}

TEST_CASE("IOC matching: addresses, mapped addresses, CIDRs, subdomains, hashes") {
  auto s = ioc_set::parse("203.0.113.66\n198.51.100.0/24\nevil.example\n2001:db8::/32\n");
  CHECK(s.match_address("203.0.113.66"));
  CHECK(s.match_address("::ffff:203.0.113.66"));
  CHECK_FALSE(s.match_address("203.0.113.67"));
  CHECK(s.match_address("198.51.100.200")->type == "cidr");
  CHECK(s.match_address("2001:db8:1::5"));
  CHECK_FALSE(s.match_address("2001:db9::5"));
  CHECK_FALSE(s.match_address("garbage"));
  CHECK(s.match_domain("evil.example"));
  CHECK(s.match_domain("C2.EVIL.example."));
  CHECK_FALSE(s.match_domain("notevil.example"));
  CHECK_FALSE(s.match_domain("evil.example.com"));
  CHECK_FALSE(s.match_sha256("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}
