#include <doctest/doctest.h>

#include "forensic/text/terminal.hpp"

using forensic::text::escape_for_terminal;
using forensic::text::fit_column;

TEST_CASE("control bytes, escapes and invalid UTF-8 never reach the terminal raw") {
  CHECK(escape_for_terminal("plain-name_1.2") == "plain-name_1.2");
  CHECK(escape_for_terminal("two\nlines") == "two\\nlines");
  CHECK(escape_for_terminal("\x1b]0;owned\x07") == "\\x1b]0;owned\\x07");
  CHECK(escape_for_terminal("tab\there\r") == "tab\\there\\r");
  CHECK(escape_for_terminal("back\\slash") == "back\\\\slash");
  CHECK(escape_for_terminal(std::string("nul\0x", 5)) == "nul\\x00x");
  CHECK(escape_for_terminal("\x7f") == "\\x7f");
  CHECK(escape_for_terminal("\xff\xfe") == "\\xff\\xfe");  // invalid UTF-8
  CHECK(escape_for_terminal("\xc2\x9b"
                            "2J") == "\\xc2\\x9b2J");      // C1 CSI
  CHECK(escape_for_terminal("\xe2\x82") == "\\xe2\\x82");  // truncated sequence
  CHECK(escape_for_terminal("\xc0\xaf") == "\\xc0\\xaf");  // overlong '/'
  CHECK(escape_for_terminal("caf\xc3\xa9 \xe6\x97\xa5") == "caf\xc3\xa9 \xe6\x97\xa5");
}

TEST_CASE("every escaped string is free of control bytes") {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  for (unsigned char c : escape_for_terminal(all)) {
    CHECK((c >= 0x20 && c != 0x7f));
  }
}

TEST_CASE("columns are padded and cut by display width") {
  CHECK(fit_column("abc", 5) == "abc  ");
  CHECK(fit_column("abcdef", 4) == "abc\u2026");
  CHECK(fit_column("\xc3\xa9t\xc3\xa9", 3) == "\xc3\xa9t\xc3\xa9");
  CHECK(fit_column("abcd", 4) == "abcd");
}
