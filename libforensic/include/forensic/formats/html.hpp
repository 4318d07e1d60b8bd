#pragma once
// The analysis as one self-contained HTML page (`ir-analyze --format html`, docs/formats.md):
// the findings by severity, the coverage (what was and was not collected, and what each gap
// hides), the timeline drawn on one time axis (process starts, file changes, engine events,
// flows; attacker-settable times marked), and the container's network placement drawn
// (container -> interface -> host veth -> bridge -> NAT -> peers seen).
//
// Nothing is fetched: no script, no external style, font or image; a Content-Security-Policy of
// default-src 'none' says so to the browser. Every string from the bundle is HTML-escaped, and
// control bytes are shown as \xNN, so a hostile file name is text, never markup.
#include <string>
#include <string_view>

#include "forensic/analysis/analyzer.hpp"

namespace forensic::formats {

// '&', '<', '>', '"', '\'' as character references; bytes below 0x20 (but tab and newline) and
// 0x7f as the text \xNN.
std::string html_escape(std::string_view text);

// The page. Reads the network placement from the bundle's network/network.json and
// engine/container-inspect.json (the report's bundle directory); says so when they are absent.
std::string to_html(const analysis::analysis_report& r);

}  // namespace forensic::formats
