#pragma once
// The one RFC 3339 formatter: UTC, "Z" suffix, with the precision each document promises
// ("2026-11-23T09:00:00Z", "...00.12Z", "...00.123Z", "...00.123456Z", "...00.123456789Z").
// Digits beyond the precision are cut, never rounded up, so a time is never printed later than
// it was; times before 1970 count their fraction forward from the whole second before them.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace forensic::io {

enum class time_precision {
  seconds,
  centis,  // hundredths: what /proc's clock ticks (USER_HZ = 100) can tell
  millis,
  micros,
  nanos,
};

std::string format_rfc3339(std::chrono::system_clock::time_point t, time_precision precision);
// `seconds` since the epoch plus `nanos` (normally 0..999999999), as struct timespec, libpcap
// and libarchive give them.
std::string format_rfc3339(std::int64_t seconds, std::int64_t nanos, time_precision precision);

// The current time with microseconds: custody records and manifests.
std::string rfc3339_now();

// "20261123T090000Z": a timestamp for file and bundle names (no ':' to trip up Windows or scp).
std::string format_compact_utc(
    std::chrono::system_clock::time_point t = std::chrono::system_clock::now());

// An absolute RFC 3339 time: "2026-11-23T09:00:00Z", with an optional fraction and a "Z" or
// "+hh:mm"/"-hh:mm" offset. nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace forensic::io
