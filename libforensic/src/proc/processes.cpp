#include "forensic/proc/processes.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "forensic/error.hpp"
#include "forensic/io/sha256.hpp"
#include "forensic/io/time.hpp"
#include "forensic/proc/membership.hpp"
#include "forensic/text/terminal.hpp"
#include "io/c_handles.hpp"
#include "proc/proc_files.hpp"

namespace forensic::proc {
namespace {

// Whole file, however large (an environ can exceed any fixed cap).
std::optional<std::string> slurp(const std::string& path) { return read_file(path, no_cap); }

template <class T>
std::vector<T> numbers(std::string_view text) {
  std::vector<T> out;
  std::istringstream in{std::string(text)};
  T v;
  while (in >> v) out.push_back(v);
  return out;
}

// Structural UTF-8 check (lead byte + continuation bytes); enough to know whether JSON can
// carry the string as it is.
bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80         ? 0
                          : (c >> 5) == 6  ? 1
                          : (c >> 4) == 14 ? 2
                          : (c >> 3) == 30 ? 3
                                           : 4;
    if (n == 4 || i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

}  // namespace

std::int64_t boot_time(const std::string& proc_root) {
  auto stat = slurp(proc_root + "/stat");
  if (!stat) throw_errno("cannot read " + proc_root + "/stat", errno);
  auto pos = stat->find("\nbtime ");
  if (pos == std::string::npos) throw error(errc::parse, proc_root + "/stat has no btime line");
  return std::stoll(stat->substr(pos + 7));
}

std::vector<int> pids_of_container(int init_pid, const std::string& proc_root) {
  std::vector<int> out;
  for (const auto& m : members_of_container(init_pid, proc_root)) out.push_back(m.pid);
  return out;
}

std::optional<process_info> read_process(int pid, const std::string& proc_root) {
  const std::string dir = proc_root + "/" + std::to_string(pid);
  auto stat = slurp(dir + "/stat");
  auto status = slurp(dir + "/status");
  if (!stat || !status) return std::nullopt;
  process_info p;
  p.pid = pid;
  // "pid (comm) S ppid ...": comm may hold spaces and ')', so split after the LAST ')'.
  auto close = stat->rfind(')');
  auto open = stat->find('(');
  if (close == std::string::npos || open == std::string::npos) return std::nullopt;
  p.comm = stat->substr(open + 1, close - open - 1);
  std::vector<std::string> f;  // f[0] is field 3 (state)
  {
    std::istringstream in(stat->substr(close + 2));
    for (std::string w; in >> w;) f.push_back(w);
  }
  if (f.size() > 19) {
    p.ppid = std::stoi(f[1]);
    p.threads = std::stoi(f[17]);
    const long ticks = ::sysconf(_SC_CLK_TCK);
    const auto start = std::stoull(f[19]);
    try {
      const std::int64_t boot = boot_time(proc_root);
      p.start_time =
          io::format_rfc3339(boot + static_cast<std::int64_t>(start / ticks),
                             static_cast<std::int64_t>((start % ticks) * (1000000000 / ticks)),
                             io::time_precision::centis);
    } catch (const error& e) {
      p.errors.push_back(e.what());
    }
  }
  p.uid = numbers<std::uint32_t>(status_field(*status, "Uid"));
  p.gid = numbers<std::uint32_t>(status_field(*status, "Gid"));
  auto nspid = numbers<int>(status_field(*status, "NSpid"));
  p.ns_pid = nspid.empty() ? pid : nspid.back();

  if (auto c = slurp(dir + "/cmdline")) p.cmdline = split_nul(*c);
  if (auto e = slurp(dir + "/environ"))
    p.environ = split_nul(*e);
  else
    p.errors.push_back("environ: unreadable");
  if (auto c = read_link(dir + "/cwd")) p.cwd = *c;
  if (auto e = read_link(dir + "/exe")) {
    static constexpr std::string_view deleted = " (deleted)";
    p.exe = *e;
    if (p.exe.size() > deleted.size() && p.exe.ends_with(deleted)) {
      p.exe.resize(p.exe.size() - deleted.size());
      p.exe_deleted = true;
    }
    try {
      // The kernel keeps the running image reachable here even once its file is unlinked.
      p.exe_sha256 = io::sha256_file(dir + "/exe");
    } catch (const error& err) {
      p.errors.push_back(std::string("exe: ") + err.what());
    }
  } else if (!p.cmdline.empty()) {
    p.errors.push_back("exe: unreadable");
  }

  if (io::c_dir fds(::opendir((dir + "/fd").c_str())); fds) {
    while (auto* e = ::readdir(fds.get())) {
      if (e->d_name[0] == '.') continue;
      open_fd fd;
      fd.fd = std::atoi(e->d_name);
      if (auto t = read_link(dir + "/fd/" + e->d_name)) fd.target = *t;
      p.fds.push_back(std::move(fd));
    }
    std::sort(p.fds.begin(), p.fds.end(), [](auto& a, auto& b) { return a.fd < b.fd; });
  } else {
    p.errors.push_back("fd: unreadable");
  }
  return p;
}

nlohmann::json to_json(const process_info& p) {
  nlohmann::json escaped = nlohmann::json::array();
  auto exact = [&](const std::string& s, const char* field) -> std::string {
    if (valid_utf8(s)) return s;
    if (!std::count(escaped.begin(), escaped.end(), field)) escaped.push_back(field);
    return text::escape_for_terminal(s);
  };
  auto list = [&](const std::vector<std::string>& v, const char* field) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& s : v) a.push_back(exact(s, field));
    return a;
  };
  nlohmann::json fds = nlohmann::json::array();
  for (const auto& f : p.fds) fds.push_back({{"fd", f.fd}, {"target", exact(f.target, "fds")}});
  nlohmann::json j = {{"pid", p.pid},
                      {"ns_pid", p.ns_pid},
                      {"ppid", p.ppid},
                      {"uid", p.uid},
                      {"gid", p.gid},
                      {"comm", exact(p.comm, "comm")},
                      {"cmdline", list(p.cmdline, "cmdline")},
                      {"environ", list(p.environ, "environ")},
                      {"cwd", exact(p.cwd, "cwd")},
                      {"exe", exact(p.exe, "exe")},
                      {"exe_sha256", p.exe_sha256},
                      {"exe_deleted", p.exe_deleted},
                      {"start_time", p.start_time},
                      {"threads", p.threads},
                      {"fds", std::move(fds)},
                      {"errors", p.errors}};
  if (!escaped.empty()) j["escaped_fields"] = escaped;
  return j;
}

}  // namespace forensic::proc
