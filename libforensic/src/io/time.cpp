#include "forensic/io/time.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace forensic::io {
namespace {

using clock = std::chrono::system_clock;

// The calendar part "YYYY-MM-DDTHH:MM:SS" (or a strftime `format`) of a whole second.
std::string utc_fields(std::int64_t seconds, const char* format) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

}  // namespace

std::string format_rfc3339(std::int64_t seconds, std::int64_t nanos, time_precision precision) {
  // Normalised so that 0 <= nanos < 1e9: the fraction always counts forward from `seconds`.
  seconds += nanos / 1000000000;
  nanos %= 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --seconds;
  }
  std::string out = utc_fields(seconds, "%Y-%m-%dT%H:%M:%S");
  // Digits shown and the nanoseconds per last digit, by precision.
  static constexpr struct {
    int digits;
    std::int64_t unit;
  } fraction[] = {{0, 1}, {2, 10000000}, {3, 1000000}, {6, 1000}, {9, 1}};
  const auto [digits, unit] = fraction[static_cast<int>(precision)];
  if (digits > 0) {
    const std::string fraction_digits = std::to_string(nanos / unit);  // 0 <= nanos < 1e9
    out += '.';
    out.append(static_cast<std::size_t>(digits) - fraction_digits.size(), '0');
    out += fraction_digits;
  }
  return out + "Z";
}

std::string format_rfc3339(clock::time_point t, time_precision precision) {
  const auto whole = std::chrono::floor<std::chrono::seconds>(t);
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(t - whole);
  return format_rfc3339(whole.time_since_epoch().count(), nanos.count(), precision);
}

std::string rfc3339_now() { return format_rfc3339(clock::now(), time_precision::micros); }

std::string format_compact_utc(clock::time_point t) {
  return utc_fields(std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count(),
                    "%Y%m%dT%H%M%SZ");
}

std::optional<clock::time_point> parse_rfc3339(std::string_view text) {
  std::tm tm{};
  const std::string s(text);
  const char* rest = ::strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return std::nullopt;
  long long offset = 0;
  double fraction = 0;
  if (*rest == '.') {
    char* end = nullptr;
    fraction = std::strtod(rest, &end);
    rest = end;
  }
  if (*rest == 'Z' || *rest == 'z') {
    ++rest;
  } else if (*rest == '+' || *rest == '-') {
    int hh = 0, mm = 0;
    if (std::strlen(rest) != 6 || std::sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2) {
      return std::nullopt;
    }
    offset = (hh * 3600 + mm * 60) * (*rest == '+' ? 1 : -1);
    rest += 6;
  } else {
    return std::nullopt;
  }
  if (*rest) return std::nullopt;
  const std::time_t utc = ::timegm(&tm) - offset;
  return clock::from_time_t(utc) +
         std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(fraction));
}

}  // namespace forensic::io
