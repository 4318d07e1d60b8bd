#include "evidence/custody_facts.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "forensic/error.hpp"

namespace forensic::evidence::detail {
namespace {

constexpr const char* clocksource_file =
    "/sys/devices/system/clocksource/clocksource0/current_clocksource";

// The kernel's "no login uid" value ((uid_t)-1): a process not started from a login session.
constexpr std::uint32_t unset_login_uid = 4294967295u;

std::string first_line(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string user_name(std::uint32_t uid) {
  std::vector<char> buf(16384);
  struct passwd pw {};
  struct passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || !found) return {};
  return found->pw_name ? found->pw_name : "";
}

long long nanoseconds(const struct timespec& t) {
  return static_cast<long long>(t.tv_sec) * 1000000000LL + t.tv_nsec;
}

}  // namespace

clock_state read_clock_state() {
  clock_state c;
  c.source = first_line(clocksource_file);
  if (c.source.empty()) c.error = std::string("cannot read ") + clocksource_file;
  struct timex tx {};
  tx.modes = 0;  // read only: never adjusts the clock
  const int state = ::ntp_adjtime(&tx);
  if (state == -1) {
    const std::string why = std::string("ntp_adjtime: ") + std::strerror(errno);
    c.error += (c.error.empty() ? "" : "; ") + why;
    return c;
  }
  // TIME_ERROR is also what the kernel answers while STA_UNSYNC is set.
  c.synchronized = state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0;
  c.esterror_us = tx.esterror;
  c.maxerror_us = tx.maxerror;
  return c;
}

operator_record read_operator(const std::string& given) {
  operator_record o;
  o.uid = ::getuid();
  o.given = given;
  o.sudo_user = env("SUDO_USER");
  const std::string text = first_line("/proc/self/loginuid");
  char* end = nullptr;
  errno = 0;
  const unsigned long value = std::strtoul(text.c_str(), &end, 10);
  if (!text.empty() && errno == 0 && end && *end == '\0' && value != unset_login_uid &&
      value <= 0xffffffffUL) {
    o.login_uid = static_cast<std::uint32_t>(value);
    o.login_name = user_name(*o.login_uid);
  }
  return o;
}

std::string operator_display_name(const operator_record& o) {
  if (!o.given.empty()) return o.given;
  if (!o.sudo_user.empty()) return o.sudo_user;
  if (!o.login_name.empty()) return o.login_name;
  for (const char* var : {"USER", "LOGNAME"}) {
    if (std::string v = env(var); !v.empty()) return v;
  }
  return "uid " + std::to_string(o.uid);
}

nlohmann::json file_metadata(int fd, const std::string& what) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno("cannot fstat " + what, errno);
  char octal[16];
  std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return {{"uid", st.st_uid},
          {"gid", st.st_gid},
          {"mode", st.st_mode & 07777},
          {"mode_octal", octal},
          {"inode", st.st_ino},
          {"device", st.st_dev},
          {"nlink", st.st_nlink},
          {"size", st.st_size},
          {"atime_ns", nanoseconds(st.st_atim)},
          {"mtime_ns", nanoseconds(st.st_mtim)},
          {"ctime_ns", nanoseconds(st.st_ctim)}};
}

}  // namespace forensic::evidence::detail
