#include "forensic/proc/mountinfo.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "forensic/error.hpp"
#include "forensic/io/unique_fd.hpp"

namespace forensic::proc {
namespace {

// The kernel escapes space, tab, newline and backslash in paths as \ooo.
std::string unescape(std::string_view field) {
  if (field.find('\\') == std::string_view::npos) return std::string(field);
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const auto digit = [](char c) { return c >= '0' && c <= '7'; };
      if (digit(field[i + 1]) && digit(field[i + 2]) && digit(field[i + 3])) {
        out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                 (field[i + 3] - '0'));
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

// The fields of `line` into `out` (emptied first: one vector serves every line).
void split_spaces(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
}

template <class T>
bool number(std::string_view text, T& out) {
  const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

}  // namespace

bool mount_entry::read_only() const {
  std::string_view opts = options;
  while (!opts.empty()) {
    const auto comma = opts.find(',');
    if (opts.substr(0, comma) == "ro") return true;
    if (comma == std::string_view::npos) break;
    opts.remove_prefix(comma + 1);
  }
  return false;
}

std::vector<mount_entry> parse_mountinfo(std::string_view text) {
  std::vector<mount_entry> out;
  std::vector<std::string_view> f;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty()) continue;
    // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
    split_spaces(line, f);
    std::size_t dash = 6;
    while (dash < f.size() && f[dash] != "-") ++dash;
    const auto bad = [&] {
      return error(errc::parse, "mountinfo line " + std::to_string(line_no) +
                                    " does not have the documented fields: " + std::string(line));
    };
    if (f.size() < 6 || dash + 2 >= f.size()) throw bad();
    mount_entry m;
    const auto colon = f[2].find(':');
    if (!number(f[0], m.mount_id) || !number(f[1], m.parent_id) ||
        colon == std::string_view::npos || !number(f[2].substr(0, colon), m.major) ||
        !number(f[2].substr(colon + 1), m.minor)) {
      throw bad();
    }
    m.root = unescape(f[3]);
    m.mount_point = unescape(f[4]);
    m.options = std::string(f[5]);
    m.fstype = unescape(f[dash + 1]);
    m.source = unescape(f[dash + 2]);
    if (dash + 3 < f.size()) m.super_options = std::string(f[dash + 3]);
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<mount_entry> read_mountinfo(int pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/mountinfo";
  io::unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT || errno == ESRCH) {
      throw error(errc::not_found, "process " + std::to_string(pid) + " is gone (" + path + ")");
    }
    throw_errno("cannot open " + path, errno);
  }
  std::string text;
  char block[16384];
  for (;;) {
    const ssize_t n = ::read(fd.get(), block, sizeof block);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("cannot read " + path, errno);
    if (n == 0) break;
    text.append(block, static_cast<std::size_t>(n));
  }
  return parse_mountinfo(text);
}

}  // namespace forensic::proc
