// Timeline events from filesystem/bodyfile.txt (sleuthkit body format 3, docs/bundle.md): the
// four clocks of each file of the writable layer and the copied mounts, recorded by statx before
// anything read them. mtime and atime are whatever utimensat last set; ctime and the birth time
// only the kernel sets, so a modification time before the birth time means the mtime was forged.
#include <charconv>
#include <fstream>
#include <string_view>
#include <vector>

#include "analysis/context.hpp"
#include "forensic/io/time.hpp"
#include "forensic/text/terminal.hpp"

namespace forensic::analysis::detail {
namespace {

constexpr const char* bodyfile = "filesystem/bodyfile.txt";
// A layer or a mount can hold many thousands of files; four events each, and the timeline keeps
// only its earliest events: past this many files the rest are counted in a warning.
constexpr std::size_t max_files = 5000;

struct stamp {
  std::int64_t seconds = 0, nanos = 0;
  bool set() const { return seconds != 0 || nanos != 0; }
  bool operator<(const stamp& o) const {
    return seconds != o.seconds ? seconds < o.seconds : nanos < o.nanos;
  }
};

// "1577836800" or "1577836800.123456789"; anything else (or 0) reads as unset.
stamp parse_time(std::string_view s) {
  stamp t;
  const auto dot = s.find('.');
  const auto whole = s.substr(0, dot);
  if (whole.empty() ||
      std::from_chars(whole.data(), whole.data() + whole.size(), t.seconds).ec != std::errc{}) {
    return {};
  }
  if (dot != std::string_view::npos) {
    std::string frac(s.substr(dot + 1, 9));
    if (frac.find_first_not_of("0123456789") != std::string::npos) return {};
    frac.resize(9, '0');
    t.nanos = std::stoll(frac);
  }
  if (t.seconds < 0) return {};
  return t;
}

// The collector writes '%', '|' and control bytes as %HH, as mactime reads them.
std::string decode_name(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned v = 0;
    if (s[i] == '%' && i + 2 < s.size() &&
        std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16).ec == std::errc{} &&
        std::string_view("0123456789abcdefABCDEF").find(s[i + 2]) != std::string_view::npos) {
      out += static_cast<char>(v);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  for (;;) {
    const auto bar = line.find('|', at);
    out.push_back(line.substr(at, bar - at));
    if (bar == std::string_view::npos) return out;
    at = bar + 1;
  }
}

}  // namespace

void analyze_bodyfile(context& c) {
  auto path = c.file(bodyfile);
  if (!path) return;
  std::ifstream in(*path, std::ios::binary);
  std::string line;
  std::size_t files = 0, skipped = 0, malformed = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto f = split(line);
    if (f.size() != 11) {
      ++malformed;
      continue;
    }
    const std::string_view mode = f[3];
    // Regular files, and overlay whiteouts: a whiteout's ctime and birth time are when a file
    // of the image was deleted. Directories and links would only repeat what their files say.
    const bool whiteout = mode == "c---------";
    if (mode.empty() || (mode.front() != '-' && !whiteout)) continue;
    if (++files > max_files) {
      ++skipped;
      continue;
    }
    const std::string name = decode_name(f[1]);
    // The container chose the name: summaries reach terminals, so they get it escaped.
    const std::string shown = text::escape_for_terminal(name);
    const stamp atime = parse_time(f[7]), mtime = parse_time(f[8]), ctime = parse_time(f[9]),
                btime = parse_time(f[10]);
    const auto at = [](const stamp& t) {
      return io::format_rfc3339(t.seconds, t.nanos, io::time_precision::micros);
    };
    const std::string what = whiteout ? "whiteout (deleted from the image) " : "";
    if (mtime.set()) {
      c.event(at(mtime), "file_mtime", "modified " + what + shown, bodyfile,
              time_source::attacker_settable, {{"path", name}});
    }
    if (atime.set()) {
      c.event(at(atime), "file_atime", "accessed " + what + shown, bodyfile,
              time_source::attacker_settable, {{"path", name}});
    }
    if (ctime.set()) {
      c.event(at(ctime), "file_ctime", "inode changed " + what + shown, bodyfile,
              time_source::kernel, {{"path", name}});
    }
    if (btime.set()) {
      c.event(at(btime), "file_btime", "created " + what + shown, bodyfile, time_source::kernel,
              {{"path", name}});
    }
    // A file cannot be modified before it exists: such an mtime was set by hand (touch -d).
    // One second of slack: some filesystems keep coarser mtimes than birth times.
    if (!whiteout && mtime.set() && btime.set() && mtime.seconds + 1 < btime.seconds) {
      c.add({"filesystem",
             "mtime_before_birth",
             severity::medium,
             "modification time " + at(mtime) + " is before the file's birth time " + at(btime) +
                 " (set by hand, e.g. touch -d): " + shown,
             bodyfile,
             at(btime),
             {{"path", name}, {"mtime", at(mtime)}, {"birth_time", at(btime)}}});
    }
  }
  if (skipped > 0) {
    c.report.warnings.push_back(std::string(bodyfile) + ": " + std::to_string(skipped) +
                                " files past the first " + std::to_string(max_files) +
                                " are not on the timeline");
  }
  if (malformed > 0) {
    c.report.warnings.push_back(std::string(bodyfile) + ": " + std::to_string(malformed) +
                                " lines without the 11 fields of the body format skipped");
  }
}

}  // namespace forensic::analysis::detail
