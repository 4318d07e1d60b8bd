#include "forensic/evidence/bodyfile.hpp"

#include <sys/stat.h>

#include <cerrno>

#include "evidence/tree_walk.hpp"
#include "forensic/error.hpp"

namespace forensic::evidence {
namespace {

bodyfile_time time_of(const struct statx_timestamp& t) { return {t.tv_sec, t.tv_nsec}; }

bodyfile_entry entry_of(std::string name, const struct statx& st) {
  bodyfile_entry e;
  e.name = std::move(name);
  e.inode = st.stx_ino;
  e.mode = st.stx_mode;
  e.uid = st.stx_uid;
  e.gid = st.stx_gid;
  e.size = st.stx_size;
  e.atime = time_of(st.stx_atime);
  e.mtime = time_of(st.stx_mtime);
  e.ctime = time_of(st.stx_ctime);
  if (st.stx_mask & STATX_BTIME) e.crtime = time_of(st.stx_btime);
  return e;
}

}  // namespace

std::string mode_string(std::uint32_t mode) {
  std::string s = "?---------";
  switch (mode & S_IFMT) {
    case S_IFREG:
      s[0] = '-';
      break;
    case S_IFDIR:
      s[0] = 'd';
      break;
    case S_IFLNK:
      s[0] = 'l';
      break;
    case S_IFCHR:
      s[0] = 'c';
      break;
    case S_IFBLK:
      s[0] = 'b';
      break;
    case S_IFIFO:
      s[0] = 'p';
      break;
    case S_IFSOCK:
      s[0] = 's';
      break;
    default:
      break;
  }
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) {
    if (mode & (0400u >> i)) s[1 + i] = rwx[i];
  }
  const auto special = [&](std::uint32_t bit, int at, char with_x, char without_x) {
    if (mode & bit) s[at] = s[at] == '-' ? without_x : with_x;
  };
  special(S_ISUID, 3, 's', 'S');
  special(S_ISGID, 6, 's', 'S');
  special(S_ISVTX, 9, 't', 'T');
  return s;
}

std::string bodyfile_time_text(const bodyfile_time& t) {
  if (t.nanoseconds == 0) return std::to_string(t.seconds);
  // -0.5 s is seconds -1 plus 500000000 ns: the text is the sum, sign first.
  std::int64_t whole = t.seconds;
  std::uint32_t fraction = t.nanoseconds;
  std::string sign;
  if (whole < 0) {
    sign = "-";
    whole = -(whole + 1);
    fraction = 1000000000u - fraction;
  }
  std::string digits = std::to_string(fraction);
  return sign + std::to_string(whole) + "." + std::string(9 - digits.size(), '0') + digits;
}

std::string bodyfile_name(std::string_view name) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(name.size());
  for (const char ch : name) {
    const auto b = static_cast<unsigned char>(ch);
    if (b == '%' || b == '|' || b < 0x20 || b == 0x7f) {
      out += '%';
      out += hex[b >> 4];
      out += hex[b & 0xf];
    } else {
      out += ch;
    }
  }
  return out;
}

std::string bodyfile_line(const bodyfile_entry& e) {
  std::string line = "0|" + bodyfile_name(e.name) + "|" + std::to_string(e.inode) + "|" +
                     mode_string(e.mode) + "|" + std::to_string(e.uid) + "|" +
                     std::to_string(e.gid) + "|" + std::to_string(e.size) + "|" +
                     bodyfile_time_text(e.atime) + "|" + bodyfile_time_text(e.mtime) + "|" +
                     bodyfile_time_text(e.ctime) + "|" +
                     (e.crtime ? bodyfile_time_text(*e.crtime) : std::string("0"));
  line += '\n';
  return line;
}

bodyfile_summary write_bodyfile(int fd, const std::string& prefix, io::byte_sink& out,
                                const std::atomic<bool>* cancel) {
  bodyfile_summary summary;
  struct statx root {};
  if (const int err = detail::stat_entry(fd, "", root)) {
    throw_errno("cannot stat " + (prefix.empty() ? std::string("/") : prefix), err);
  }
  // Lines are gathered into pieces of about 64 KiB: one write per line would be one system
  // call per file.
  std::string pending;
  const auto add = [&](std::string name, const struct statx& st) {
    pending += bodyfile_line(entry_of(std::move(name), st));
    ++summary.entries;
    if (pending.size() >= (64u << 10)) {
      out.write(io::as_bytes(pending));
      pending.clear();
    }
  };
  // Recorded before the directory is opened to be listed.
  add(prefix.empty() ? "/" : prefix, root);
  std::vector<std::string> skipped;
  if (S_ISDIR(root.stx_mode)) {
    detail::walk_tree(
        fd,
        [&](const detail::walk_entry& e) {
          add(prefix + e.path, e.st);
          return true;
        },
        skipped, cancel);
  }
  if (!pending.empty()) out.write(io::as_bytes(pending));
  for (auto& s : skipped) summary.skipped.push_back(prefix + s);
  return summary;
}

}  // namespace forensic::evidence
