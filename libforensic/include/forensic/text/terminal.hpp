#pragma once
// Escaping of untrusted text (container names, file names, command lines) before it reaches a
// terminal. Container content is attacker-controlled: a name holding "\x1b]0;...\a" or a
// newline must not rewrite the analyst's screen or forge table rows.
#include <string>
#include <string_view>

namespace forensic::text {

// Returns `raw` with every control byte (C0, DEL, C1), every byte of invalid UTF-8 and every
// backslash written as a C-style escape (\n, \t, \x1b, \\), so the output is printable, one
// line, and unambiguous. Valid printable UTF-8 passes through unchanged.
std::string escape_for_terminal(std::string_view raw);

// Pads or truncates an already-escaped string to `width` display columns (counting UTF-8
// code points, not bytes), ending a truncated one with "…".
std::string fit_column(std::string_view escaped, std::size_t width);

}  // namespace forensic::text
