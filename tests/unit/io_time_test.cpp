// The one RFC 3339 formatter: each precision, cut (never rounded up), before 1970, and the
// parser that reads what it writes.
#include <doctest/doctest.h>

#include <chrono>

#include "forensic/io/time.hpp"

using namespace forensic::io;
using namespace std::chrono;

namespace {

// 2026-11-23T09:00:00Z plus 123456789 ns.
const system_clock::time_point t =
    system_clock::time_point(seconds(1795424400)) + nanoseconds(123456789);

}  // namespace

TEST_CASE("format_rfc3339 at every precision cuts the digits it does not show") {
  CHECK(format_rfc3339(t, time_precision::seconds) == "2026-11-23T09:00:00Z");
  CHECK(format_rfc3339(t, time_precision::centis) == "2026-11-23T09:00:00.12Z");
  CHECK(format_rfc3339(t, time_precision::millis) == "2026-11-23T09:00:00.123Z");
  CHECK(format_rfc3339(t, time_precision::micros) == "2026-11-23T09:00:00.123456Z");
  CHECK(format_rfc3339(t, time_precision::nanos) == "2026-11-23T09:00:00.123456789Z");
}

TEST_CASE("format_rfc3339 never rounds up into the next second") {
  const auto late = system_clock::time_point(seconds(1795424399)) + nanoseconds(999999999);
  CHECK(format_rfc3339(late, time_precision::seconds) == "2026-11-23T08:59:59Z");
  CHECK(format_rfc3339(late, time_precision::millis) == "2026-11-23T08:59:59.999Z");
  CHECK(format_rfc3339(late, time_precision::micros) == "2026-11-23T08:59:59.999999Z");
  CHECK(format_rfc3339(1795424399, 999999999, time_precision::centis) == "2026-11-23T08:59:59.99Z");
}

TEST_CASE("format_rfc3339 from seconds and nanoseconds, zero-padded") {
  CHECK(format_rfc3339(0, 0, time_precision::seconds) == "1970-01-01T00:00:00Z");
  CHECK(format_rfc3339(0, 5000, time_precision::micros) == "1970-01-01T00:00:00.000005Z");
  CHECK(format_rfc3339(0, 7, time_precision::nanos) == "1970-01-01T00:00:00.000000007Z");
  CHECK(format_rfc3339(1795424400, 120000000, time_precision::centis) == "2026-11-23T09:00:00.12Z");
}

TEST_CASE("format_rfc3339 before 1970 counts the fraction forward from the second before") {
  // 0.25 s before the epoch is 23:59:59.75 of the last day of 1969, not 00:00:00.25.
  const auto before = system_clock::time_point(milliseconds(-250));
  CHECK(format_rfc3339(before, time_precision::millis) == "1969-12-31T23:59:59.750Z");
  CHECK(format_rfc3339(before, time_precision::seconds) == "1969-12-31T23:59:59Z");
  CHECK(format_rfc3339(-1, 250000000, time_precision::millis) == "1969-12-31T23:59:59.250Z");
  CHECK(format_rfc3339(0, -1, time_precision::nanos) == "1969-12-31T23:59:59.999999999Z");
  // A leap year's last day and the turn of a century without a leap second table.
  CHECK(format_rfc3339(-2208988800, 0, time_precision::seconds) == "1900-01-01T00:00:00Z");
  CHECK(format_rfc3339(951782400, 0, time_precision::seconds) == "2000-02-29T00:00:00Z");
}

TEST_CASE("format_compact_utc is the file-name stamp") {
  CHECK(format_compact_utc(t) == "20261123T090000Z");
  CHECK(format_compact_utc().size() == 16);
}

TEST_CASE("rfc3339_now has microseconds") {
  const auto now = rfc3339_now();
  REQUIRE(now.size() == 27);
  CHECK(now[19] == '.');
  CHECK(now.back() == 'Z');
}

TEST_CASE("parse_rfc3339 reads offsets and fractions, refuses the rest") {
  CHECK(parse_rfc3339("2026-11-23T09:00:00Z") == system_clock::time_point(seconds(1795424400)));
  CHECK(parse_rfc3339("2026-11-23T10:30:00+01:30") ==
        system_clock::time_point(seconds(1795424400)));
  CHECK(parse_rfc3339("2026-11-23T09:00:00.5Z") ==
        system_clock::time_point(seconds(1795424400)) + milliseconds(500));
  CHECK_FALSE(parse_rfc3339("2026-11-23T09:00:00"));
  CHECK_FALSE(parse_rfc3339("2026-11-23T09:00:00+1:3"));
  CHECK_FALSE(parse_rfc3339("2026-11-23T09:00:00Zjunk"));
  CHECK_FALSE(parse_rfc3339("yesterday"));
}
