// Escape audit: what the kernel let the container's processes do to the host
// (processes/escape-audit.json, written by the collector from /proc: proc/escape_audit.hpp),
// one finding per risk flag and one for the hardening that is absent.
#include <filesystem>
#include <map>

#include "analysis/context.hpp"
#include "analysis/json_fields.hpp"

namespace forensic::analysis::detail {
namespace {

using nlohmann::json;
constexpr const char* audit_file = "processes/escape-audit.json";

struct flag_meaning {
  severity level;
  const char* why;
};

const std::map<std::string, flag_meaning>& meanings() {
  static const std::map<std::string, flag_meaning> m{
      {"CAP_SYS_ADMIN",
       {severity::high, "mount, namespaces, cgroup release agents: a known way out"}},
      {"CAP_SYS_MODULE", {severity::high, "can load a kernel module into the host's kernel"}},
      {"CAP_SYS_PTRACE", {severity::high, "can trace and inject into processes it sees"}},
      {"CAP_DAC_READ_SEARCH", {severity::high, "open_by_handle_at reads host files (shocker)"}},
      {"CAP_NET_ADMIN", {severity::medium, "can change routes, firewall rules and interfaces"}},
      {"CAP_BPF", {severity::high, "can load BPF programs"}},
      {"CAP_SYS_RAWIO", {severity::high, "raw I/O to devices and ports"}},
      {"CAP_PERFMON", {severity::medium, "performance monitoring of the host"}},
      {"CAP_SYS_BOOT", {severity::medium, "can reboot or kexec"}},
      {"CAP_SYS_TIME", {severity::medium, "can set the host's clock (evidence times)"}},
      {"CAP_MAC_ADMIN", {severity::high, "can change the mandatory access control policy"}},
      {"CAP_MAC_OVERRIDE", {severity::high, "can override mandatory access control"}},
      {"CAP_SYSLOG", {severity::medium, "reads the kernel log and addresses"}},
      {"SECCOMP-UNCONFINED", {severity::medium, "no seccomp filter: every system call is open"}},
      {"APPARMOR-UNCONFINED", {severity::medium, "AppArmor does not confine it"}},
      {"ROOT-NO-USERNS", {severity::low, "uid 0 inside is uid 0 on the host (no user namespace)"}},
      {"HOST-ROOT-MOUNT", {severity::high, "the host's root filesystem is mounted inside"}},
      {"HOST-ETC-MOUNT", {severity::high, "the host's /etc is mounted inside"}},
      {"HOST-PROC-MOUNT", {severity::high, "the host's /proc is mounted inside"}},
      {"HOST-SYS-MOUNT",
       {severity::high, "the host's /sys is mounted inside, writable or elsewhere"}},
      {"HOST-DEV-MOUNT", {severity::high, "the host's /dev (or a device) is mounted inside"}},
      {"DOCKER-DATA-MOUNT", {severity::high, "the engine's /var/lib/docker is mounted inside"}},
      {"DOCKER-SOCK",
       {severity::high, "the engine's socket is reachable inside: root on the host"}},
      {"CONTAINERD-SOCK", {severity::high, "containerd's socket is reachable inside"}},
      {"DEVICES", {severity::medium, "device nodes beyond the engine's defaults"}},
  };
  return m;
}

std::string lower_kind(std::string flag) {
  for (auto& ch : flag) ch = ch == '-' ? '_' : static_cast<char>(std::tolower(ch));
  return flag;
}

}  // namespace

void analyze_escape(context& c) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(c.root / audit_file, ec)) return;  // older bundles
  auto doc = c.json_file(audit_file);
  if (!doc || !doc->is_object() || !flag(*doc, "collected")) return;
  const json flags = doc->value("flags", json::array());
  if (!flags.is_array()) return;
  for (const auto& f : flags) {
    if (!f.is_string()) continue;
    const std::string name = f.get<std::string>();
    const auto it = meanings().find(name);
    const severity level = it == meanings().end() ? severity::medium : it->second.level;
    const std::string why = it == meanings().end() ? "" : std::string(": ") + it->second.why;
    json details = {{"flag", name}, {"from", "kernel"}};
    if (name.starts_with("CAP_")) {
      json holders = json::array();
      for (const auto& p : doc->value("processes", json::array())) {
        const json caps = p.is_object() ? p.value("effective_capabilities", json::array()) : json();
        if (!caps.is_array()) continue;
        for (const auto& cap : caps) {
          if (cap.is_string() && "CAP_" + cap.get<std::string>() == name)
            holders.push_back(integer(p, "pid", 0));
        }
      }
      details["pids"] = holders;
    }
    if (name.ends_with("-MOUNT") || name.ends_with("-SOCK")) {
      json mounts = json::array();
      for (const auto& m : doc->value("mounts", json::array())) {
        if (text(m, "flag") == name) mounts.push_back(m);
      }
      details["mounts"] = mounts;
    }
    if (name == "DEVICES") details["devices"] = doc->value("devices", json::array());
    c.add({"escape", lower_kind(name), level, name + why, audit_file, "", details});
  }
  const json hardening = doc->value("hardening", json::object());
  std::string absent;
  if (hardening.is_object()) {
    if (!flag(hardening, "no_new_privs")) absent += "no_new_privs";
    if (!flag(hardening, "readonly_rootfs"))
      absent += std::string(absent.empty() ? "" : ", ") + "read-only root filesystem";
    if (!flag(hardening, "user_namespace"))
      absent += std::string(absent.empty() ? "" : ", ") + "user namespace";
  }
  if (!absent.empty()) {
    c.add({"escape", "hardening_absent", severity::info, "hardening absent: " + absent, audit_file,
           "", hardening});
  }
}

}  // namespace forensic::analysis::detail
