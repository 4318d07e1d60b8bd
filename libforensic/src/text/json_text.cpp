#include "forensic/text/json_text.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string_view>

namespace forensic::text {
namespace {

using json = nlohmann::json;

// True for the bytes nlohmann writes as they are (ensure_ascii off): printable ASCII and DEL,
// except the quote and the backslash.
constexpr bool plain(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

void nlohmann_dump(std::string& out, const json& v, int indent, int current) {
  nlohmann::detail::serializer<json> serializer(nlohmann::detail::output_adapter<char>(out), ' ',
                                                json::error_handler_t::replace);
  serializer.dump(v, indent >= 0, false, static_cast<unsigned>(std::max(indent, 0)),
                  static_cast<unsigned>(current));
}

void append_string(std::string& out, std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && plain(static_cast<unsigned char>(s[i]))) ++i;
  if (i == s.size()) {
    out += '"';
    out.append(s);
    out += '"';
    return;
  }
  bool ascii = true;
  for (std::size_t k = i; k < s.size() && ascii; ++k)
    ascii = static_cast<unsigned char>(s[k]) < 0x80;
  if (!ascii) {
    // UTF-8 to validate, or to replace where invalid: nlohmann's own escaping.
    nlohmann_dump(out, json(s), -1, 0);
    return;
  }
  out += '"';
  out.append(s.data(), i);
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (plain(c)) {
      std::size_t run = i + 1;
      while (run < s.size() && plain(static_cast<unsigned char>(s[run]))) ++run;
      out.append(s.data() + i, run - i);
      i = run - 1;
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default: {
        static constexpr char hex[] = "0123456789abcdef";
        const char esc[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
        out.append(esc, sizeof esc);
      }
    }
  }
  out += '"';
}

template <class T>
void append_integer(std::string& out, T v) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out.append(buf, end);
}

// `items` between `open` and `close` as nlohmann lays them out: "{}" or "[]" when empty,
// otherwise, when pretty, each on its own line `indent` deeper than `current`. `one` writes an
// item at the indent it is given; the text is handed over after each item once long enough.
template <class Items, class One>
void append_items(std::string& out, const Items& items, char open, char close, int indent,
                  int current, const json_pieces* pieces, const One& one) {
  out += open;
  if (items.empty()) {
    out += close;
    return;
  }
  const int inner = current + indent;
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += ',';
    first = false;
    if (indent >= 0) {
      out += '\n';
      out.append(static_cast<std::size_t>(inner), ' ');
    }
    one(item, inner);
    if (pieces && out.size() >= pieces->size) pieces->write(out);
  }
  if (indent >= 0) {
    out += '\n';
    out.append(static_cast<std::size_t>(current), ' ');
  }
  out += close;
}

void append_value(std::string& out, const json& v, int indent, int current,
                  const json_pieces* pieces) {
  switch (v.type()) {
    case json::value_t::object:
      append_items(out, *v.get_ptr<const json::object_t*>(), '{', '}', indent, current, pieces,
                   [&](const auto& member, int inner) {
                     append_string(out, member.first);
                     out += indent >= 0 ? ": " : ":";
                     append_value(out, member.second, indent, inner, pieces);
                   });
      return;
    case json::value_t::array:
      append_items(out, *v.get_ptr<const json::array_t*>(), '[', ']', indent, current, pieces,
                   [&](const json& element, int inner) {
                     append_value(out, element, indent, inner, pieces);
                   });
      return;
    case json::value_t::string:
      append_string(out, *v.get_ptr<const json::string_t*>());
      return;
    case json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    case json::value_t::number_integer:
      append_integer(out, v.get<std::int64_t>());
      return;
    case json::value_t::number_unsigned:
      append_integer(out, v.get<std::uint64_t>());
      return;
    case json::value_t::null:
      out += "null";
      return;
    default:
      // Floating point (nlohmann's shortest round-trip form), binary, discarded: its own text.
      nlohmann_dump(out, v, indent, current);
      return;
  }
}

}  // namespace

void append_json(std::string& out, const nlohmann::json& value, int indent, int current_indent,
                 const json_pieces* pieces) {
  append_value(out, value, indent, current_indent, pieces);
}

std::string json_text(const nlohmann::json& value, int indent) {
  std::string out;
  append_json(out, value, indent, 0, nullptr);
  return out;
}

}  // namespace forensic::text
