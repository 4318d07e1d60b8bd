#pragma once
// JSON text of a document, as every tool writes it: the bytes of nlohmann's
// dump(indent, ' ', false, error_handler_t::replace), at several times its speed.
//
// Why: nlohmann decodes every byte of every string through its UTF-8 state machine; ir-ps
// --json at 300 containers spent ~10 ms of its critical path in that. Here strings of printable
// ASCII (nearly all of ours) are copied a run at a time; a string holding any other byte is
// escaped by nlohmann itself, so escapes, invalid UTF-8 (replaced by U+FFFD) and floating-point
// numbers come out exactly as before.
#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace forensic::text {

// Where long text goes while it is written: once `out` holds `size` bytes or more at the end
// of a member or an element, `write` is called with it and must empty it.
struct json_pieces {
  std::size_t size = 64 * 1024;
  std::function<void(std::string& out)> write;
};

// Appends `value` to `out`. indent < 0: compact; otherwise pretty, `indent` spaces per level,
// the value's own lines starting at `current_indent` spaces (its first line is not indented:
// the caller placed it). With `pieces`, the text is handed over as it grows.
void append_json(std::string& out, const nlohmann::json& value, int indent = -1,
                 int current_indent = 0, const json_pieces* pieces = nullptr);

// `value` as text, as append_json() writes it.
std::string json_text(const nlohmann::json& value, int indent = -1);

}  // namespace forensic::text
