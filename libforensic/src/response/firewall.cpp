#include "response/firewall.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "forensic/error.hpp"
#include "io/spawn.hpp"
#include "response/quarantine_rules.hpp"

namespace forensic::response::detail {
namespace {

using io::find_program;
using io::spawn_result;

// iptables-restore -w waits for the xtables lock, which Docker holds only briefly; a tool still
// running after this is stuck and is killed rather than hanging the quarantine.
constexpr std::chrono::seconds tool_timeout{60};

spawn_result run_tool(const std::vector<std::string>& argv, const std::string& input = {}) {
  return io::spawn(argv, {input, tool_timeout});
}

bool file_mentions(const char* path, const std::string& word) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line == word) return true;
  }
  return false;
}

std::optional<std::string> read_save(const std::optional<std::string>& save_binary) {
  if (!save_binary) return std::nullopt;
  auto r = run_tool({*save_binary, "-t", "filter"});
  if (r.exit_code != 0) return std::nullopt;
  return r.out;
}

std::string first_line(const spawn_result& r) {
  if (r.timed_out) {
    return "did not finish within " + std::to_string(tool_timeout.count()) + " s (killed)";
  }
  auto s = r.err.substr(0, r.err.find('\n'));
  return s.empty() ? "(no message)" : s;
}

spawn_result run_tc(const firewall_backend& b, const std::vector<std::string>& tail) {
  if (b.tc.empty())
    throw error(errc::not_found, "no tc binary in /usr/sbin, /sbin, /usr/bin, /bin");
  std::vector<std::string> argv{b.tc};
  argv.insert(argv.end(), tail.begin(), tail.end());
  return run_tool(argv);
}

// Every pref of a `tc -j filter show` output whose actions carry `cookie`.
std::vector<std::pair<std::string, long>> prefs_with_cookie(const std::string& json_text,
                                                            const std::string& cookie) {
  std::vector<std::pair<std::string, long>> out;
  auto doc = nlohmann::json::parse(json_text, nullptr, false);
  if (!doc.is_array()) return out;
  for (const auto& f : doc) {
    if (!f.is_object() || !f.contains("options")) continue;
    const std::string text = f["options"].dump();
    if (text.find(cookie) == std::string::npos) continue;
    out.emplace_back(f.value("kind", std::string("?")), f.value("pref", 0L));
  }
  return out;
}

}  // namespace

std::string join_argv(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

firewall_backend detect_backend(std::optional<firewall_kind> forced) {
  backend_evidence e;
  auto legacy_save = find_program("iptables-legacy-save");
  auto nft_save = find_program("iptables-nft-save");
  auto legacy_restore = find_program("iptables-legacy-restore");
  auto nft_restore = find_program("iptables-nft-restore");
  if (!legacy_save && !nft_save) {
    // An iptables older than the -legacy/-nft split is legacy.
    legacy_save = find_program("iptables-save");
    legacy_restore = find_program("iptables-restore");
  }
  if (file_mentions("/proc/net/ip_tables_names", "filter"))
    e.legacy_filter = read_save(legacy_save);
  e.nft_filter = read_save(nft_save);
  e.legacy_restore = legacy_restore.has_value();
  e.nft_restore = nft_restore.has_value();
  firewall_backend b;
  if (auto tc = find_program("tc")) b.tc = *tc;
  e.tc = !b.tc.empty();
  b.kind = choose_backend(e, &b.reason);
  if (forced) {
    b.kind = *forced;
    b.reason = "forced by the caller (" + b.reason + ")";
  }
  const bool legacy = b.kind == firewall_kind::iptables_legacy;
  if (b.kind != firewall_kind::tc) {
    const std::string v = legacy ? "legacy" : "nft";
    auto pick = [&](const std::string& name) { return find_program(name).value_or(""); };
    b.save = legacy && legacy_save ? *legacy_save : pick("iptables-" + v + "-save");
    b.restore = legacy && legacy_restore ? *legacy_restore : pick("iptables-" + v + "-restore");
    b.save6 = pick("ip6tables-" + v + "-save");
    b.restore6 = pick("ip6tables-" + v + "-restore");
    if (b.save6.empty() && legacy) b.save6 = pick("ip6tables-save");
    if (b.restore6.empty() && legacy) b.restore6 = pick("ip6tables-restore");
    if (b.save.empty() || b.restore.empty()) {
      throw error(errc::not_found, "no iptables-" + v + "-save/-restore binaries on this host");
    }
    b.ipv6 = ::access("/proc/net/if_inet6", F_OK) == 0 && !b.save6.empty() && !b.restore6.empty();
    auto save = legacy ? e.legacy_filter : e.nft_filter;
    b.docker_user_chain = save && read_chain_facts(*save).docker_user_exists;
  }
  return b;
}

std::string save_filter(const firewall_backend& b, int family) {
  const std::string& bin = family == 6 ? b.save6 : b.save;
  auto r = run_tool({bin, "-t", "filter"});
  if (r.exit_code != 0) {
    throw error(errc::engine_error, bin + " -t filter failed: " + first_line(r));
  }
  return r.out;
}

void restore_filter(const firewall_backend& b, int family, const std::string& script) {
  const std::string& bin = family == 6 ? b.restore6 : b.restore;
  auto r = run_tool({bin, "--noflush", "-w"}, script);
  if (r.exit_code != 0) {
    throw error(errc::engine_error, bin + " --noflush refused the quarantine rules: " +
                                        first_line(r) + " (nothing was applied)");
  }
}

std::vector<std::string> tc_quarantine(const firewall_backend& b, const quarantine_target& t,
                                       const std::vector<std::string>& allow) {
  std::vector<std::string> clsact_added;
  std::vector<std::string> touched;
  try {
    for (const auto& veth : t.host_veths) {
      auto q = run_tc(b, {"-j", "qdisc", "show", "dev", veth});
      if (q.exit_code != 0) {
        throw error(errc::not_found, "tc cannot see " + veth + ": " + first_line(q));
      }
      const bool add = q.out.find("\"clsact\"") == std::string::npos;
      if (add) clsact_added.push_back(veth);
      touched.push_back(veth);
      for (const auto& cmd : tc_quarantine_commands(veth, t.container_id, allow, add)) {
        auto r = run_tc(b, cmd);
        if (r.exit_code != 0) {
          throw error(errc::engine_error, "tc " + join_argv(cmd) + " failed: " + first_line(r));
        }
      }
    }
  } catch (...) {
    tc_release(b, t.container_id, touched, clsact_added, false);  // all or nothing
    throw;
  }
  return clsact_added;
}

std::vector<std::string> tc_filters(const firewall_backend& b, const std::string& container_id,
                                    const std::string& veth) {
  std::vector<std::string> out;
  for (const char* dir : {"ingress", "egress"}) {
    auto r = run_tc(b, {"-j", "filter", "show", "dev", veth, dir});
    if (r.exit_code != 0) continue;
    for (const auto& [kind, pref] : prefs_with_cookie(r.out, tc_cookie(container_id))) {
      out.push_back(veth + " " + dir + " pref " + std::to_string(pref) + " " + kind);
    }
  }
  return out;
}

std::vector<std::string> tc_release(const firewall_backend& b, const std::string& container_id,
                                    const std::vector<std::string>& veths,
                                    const std::vector<std::string>& clsact_added, bool dry_run) {
  std::vector<std::string> done;
  for (const auto& veth : veths) {
    for (const char* dir : {"ingress", "egress"}) {
      auto r = run_tc(b, {"-j", "filter", "show", "dev", veth, dir});
      if (r.exit_code != 0) continue;  // the veth is gone (container stopped): nothing to undo
      std::vector<long> prefs;
      for (const auto& [kind, pref] : prefs_with_cookie(r.out, tc_cookie(container_id))) {
        if (std::find(prefs.begin(), prefs.end(), pref) == prefs.end()) prefs.push_back(pref);
      }
      for (long pref : prefs) {
        std::vector<std::string> cmd{
            "filter", "del", "dev", veth, dir, "pref", std::to_string(pref)};
        done.push_back("tc " + join_argv(cmd));
        if (!dry_run) run_tc(b, cmd);
      }
    }
    if (std::find(clsact_added.begin(), clsact_added.end(), veth) != clsact_added.end()) {
      std::vector<std::string> cmd{"qdisc", "del", "dev", veth, "clsact"};
      done.push_back("tc " + join_argv(cmd));
      if (!dry_run) run_tc(b, cmd);
    }
  }
  return done;
}

}  // namespace forensic::response::detail
