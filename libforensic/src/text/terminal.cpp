#include "forensic/text/terminal.hpp"

#include <cstdint>

namespace forensic::text {
namespace {

void append_hex(std::string& out, unsigned char c) {
  static constexpr char digits[] = "0123456789abcdef";
  out += "\\x";
  out += digits[c >> 4];
  out += digits[c & 0xf];
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid (overlong,
// surrogate, out of range, truncated).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i, std::uint32_t& code_point) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  std::uint32_t cp = 0;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2;
    cp = b0 & 0x1f;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    cp = b0 & 0x0f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) return 0;
  if (cp >= 0xd800 && cp <= 0xdfff) return 0;
  code_point = cp;
  return len;
}

}  // namespace

std::string escape_for_terminal(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size();) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c < 0x80) {
      switch (c) {
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\\':
          out += "\\\\";
          break;
        default:
          if (c < 0x20 || c == 0x7f) {
            append_hex(out, c);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    std::uint32_t cp = 0;
    const std::size_t len = utf8_sequence_length(raw, i, cp);
    // C1 controls (U+0080..U+009F) act as escape introducers on some terminals.
    if (len == 0 || (cp >= 0x80 && cp <= 0x9f)) {
      for (std::size_t k = 0; k < (len ? len : 1); ++k) {
        append_hex(out, static_cast<unsigned char>(raw[i + k]));
      }
      i += len ? len : 1;
      continue;
    }
    out.append(raw.substr(i, len));
    i += len;
  }
  return out;
}

std::string fit_column(std::string_view escaped, std::size_t width) {
  std::size_t columns = 0;
  std::size_t cut = escaped.size();
  std::size_t cut_before_last = 0;
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    if ((static_cast<unsigned char>(escaped[i]) & 0xc0) == 0x80) continue;
    if (columns == width - 1) cut_before_last = i;
    if (columns == width) {
      cut = i;
      break;
    }
    ++columns;
  }
  if (cut < escaped.size()) {
    std::string out(escaped.substr(0, width == 0 ? 0 : cut_before_last));
    if (width > 0) out += "\u2026";
    return out;
  }
  std::string out(escaped);
  out.append(width - columns, ' ');
  return out;
}

}  // namespace forensic::text
