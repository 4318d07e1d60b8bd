#include "analysis/path_rules.hpp"

#include <algorithm>
#include <array>

namespace forensic::analysis::detail {
namespace {

bool under(std::string_view path, std::string_view dir) {
  return path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/';
}

std::string_view basename(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool is_persistence(std::string_view p, std::string& what) {
  static constexpr std::array cron_dirs{"/etc/cron.d",      "/etc/cron.daily",   "/etc/cron.hourly",
                                        "/etc/cron.weekly", "/etc/cron.monthly", "/var/spool/cron",
                                        "/etc/periodic",    "/var/spool/anacron"};
  if (p == "/etc/crontab" || p == "/etc/anacrontab") return what = "cron table", true;
  for (const char* d : cron_dirs) {
    if (under(p, d)) return what = "cron job or crontab", true;
  }
  const auto base = basename(p);
  if (base == "authorized_keys" || base == "authorized_keys2") {
    return what = "SSH authorized_keys", true;
  }
  static constexpr std::array profiles{".bashrc", ".bash_profile", ".bash_login", ".profile",
                                       ".zshrc",  ".zprofile",     ".kshrc",      ".bash_logout"};
  if (std::find(profiles.begin(), profiles.end(), base) != profiles.end()) {
    return what = "shell profile", true;
  }
  if (p == "/etc/profile" || under(p, "/etc/profile.d") || p == "/etc/bash.bashrc" ||
      p == "/etc/bashrc" || p == "/etc/environment" || p == "/etc/zsh/zshrc") {
    return what = "system shell profile", true;
  }
  if (p == "/etc/rc.local" || under(p, "/etc/init.d") || p == "/etc/inittab" ||
      (p.starts_with("/etc/rc") && p.find(".d/") != std::string_view::npos) ||
      under(p, "/etc/systemd/system") || under(p, "/etc/supervisor") ||
      under(p, "/etc/xdg/autostart")) {
    return what = "boot/rc script or service", true;
  }
  if (p == "/etc/ld.so.preload") return what = "library preload (/etc/ld.so.preload)", true;
  return false;
}

bool is_account_file(std::string_view p) {
  return p == "/etc/passwd" || p == "/etc/shadow" || p == "/etc/group" || p == "/etc/gshadow" ||
         p == "/etc/sudoers" || under(p, "/etc/sudoers.d");
}

bool is_web_script(std::string_view p) {
  static constexpr std::array roots{"/var/www",
                                    "/usr/share/nginx/html",
                                    "/srv/www",
                                    "/srv/http",
                                    "/usr/local/apache2/htdocs",
                                    "/opt/lampp/htdocs",
                                    "/usr/local/tomcat/webapps"};
  static constexpr std::array exts{".php",  ".phtml", ".php5", ".jsp", ".jspx", ".asp",
                                   ".aspx", ".cgi",   ".pl",   ".py",  ".sh",   ".war"};
  bool in_root =
      std::any_of(roots.begin(), roots.end(), [&](const char* r) { return under(p, r); });
  if (!in_root) return false;
  const auto base = basename(p);
  return std::any_of(exts.begin(), exts.end(),
                     [&](const char* e) { return base.ends_with(std::string_view(e)); });
}

}  // namespace

bool looks_executable(std::string_view head) {
  return head.starts_with(
             "\x7f"
             "ELF") ||
         head.starts_with("#!");
}

std::vector<path_hit> classify_path(const path_facts& f) {
  std::vector<path_hit> hits;
  const std::string_view p = f.path;
  if (f.known_type && !f.regular) {
    // Directories and links only matter when setuid bits are somewhere odd; skip them.
    return hits;
  }
  const bool exec_bits = f.known_type && (f.mode & 0111) != 0;
  const bool executable = exec_bits || looks_executable(f.head);
  std::string what;
  if (f.in_diff && is_persistence(p, what)) {
    hits.push_back({"persistence", severity::high, what + (f.added ? " added" : " changed")});
  }
  if (f.in_diff && is_account_file(p)) {
    hits.push_back({"account_change", severity::high, "account or privilege file changed"});
  }
  const bool temp = under(p, "/tmp") || under(p, "/var/tmp") || under(p, "/dev/shm");
  if (temp) {
    hits.push_back({"temp_file", executable ? severity::high : severity::medium,
                    std::string("file in a world-writable temporary directory") +
                        (executable ? ", executable" : "")});
  }
  if (f.in_diff && executable && !temp) {
    hits.push_back({"new_executable", severity::high,
                    f.added ? "executable file added" : "executable file changed"});
  }
  if (f.known_type && (f.mode & 06000) != 0) {
    hits.push_back({"setuid", f.in_diff ? severity::high : severity::low,
                    std::string((f.mode & 04000) ? "setuid" : "setgid") + " file" +
                        (f.in_diff ? " added or changed" : " in the image")});
  }
  if (f.in_diff && is_web_script(p)) {
    hits.push_back({"web_script", severity::high, "script in a web root"});
  }
  const auto base = basename(p);
  if (f.in_diff && (base == ".ash_history" || base == ".bash_history" || base == ".sh_history" ||
                    base == ".zsh_history")) {
    hits.push_back({"shell_history", severity::medium, "shell history written"});
  } else if (f.in_diff && f.added && base.starts_with(".") && hits.empty()) {
    hits.push_back({"hidden_file", severity::low, "hidden file added"});
  }
  return hits;
}

}  // namespace forensic::analysis::detail
