// Process and socket findings, from what collection read on the host: processes/processes.json
// (/proc of each container process) and network/network.json (sockets, conntrack).
#include <map>
#include <set>

#include "analysis/addresses.hpp"
#include "analysis/context.hpp"
#include "analysis/json_fields.hpp"

namespace forensic::analysis::detail {
namespace {

using nlohmann::json;

constexpr const char* processes_file = "processes/processes.json";
constexpr const char* network_file = "network/network.json";

std::string joined(const json& arr) {
  std::string s;
  if (!arr.is_array()) return s;
  for (const auto& a : arr) {
    if (a.is_string()) s += (s.empty() ? "" : " ") + a.get<std::string>();
  }
  return s;
}

bool is_shell(const std::string& comm) {
  static const std::set<std::string> shells{"sh",  "bash", "dash", "ash",  "zsh",
                                            "ksh", "csh",  "tcsh", "mksh", "busybox"};
  return shells.count(comm) > 0;
}

bool external(const std::string& addr) {
  auto a = parse_address(addr);
  return a && !is_internal(*a);
}

bool unspecified(const std::string& addr) {
  return addr.empty() || addr == "*" || addr == "0.0.0.0" || addr == "::";
}

// One part of network.json: {"collected": true, "items": [...]} as ir-collect writes it, or a
// plain array as bundles before that did. A part that was not collected has no items (the
// bundle's manifest says why).
json part_items(const json& doc, const char* key) {
  if (!doc.is_object()) return json::array();
  const auto it = doc.find(key);
  if (it == doc.end()) return json::array();
  if (it->is_array()) return *it;
  if (it->is_object() && flag(*it, "collected")) {
    const auto items = it->find("items");
    if (items != it->end() && items->is_array()) return *items;
  }
  return json::array();
}

std::set<std::string> socket_inodes(const json& proc) {
  std::set<std::string> out;
  if (!proc.contains("fds") || !proc["fds"].is_array()) return out;
  for (const auto& fd : proc["fds"]) {
    const std::string t = text(fd, "target");
    if (t.starts_with("socket:[") && t.ends_with("]")) out.insert(t.substr(8, t.size() - 9));
  }
  return out;
}

// Why a conntrack flow looks unanswered, or "": what a beacon to a C2 that is down, filtered or
// refusing leaves behind. The kernel's status bits and per-direction counters are used when the
// bundle has them.
std::string unanswered(const json& f) {
  if (flag(f, "unreplied")) return "never answered";
  if (const auto it = f.find("status"); it != f.end()) {
    std::string bits;
    if (it->is_string()) bits = it->get<std::string>();
    if (it->is_array()) {
      for (const auto& b : *it) bits += (b.is_string() ? b.get<std::string>() : "") + " ";
    }
    if (!bits.empty() && bits.find("SEEN_REPLY") == std::string::npos) {
      return "never answered: no SEEN_REPLY in its status";
    }
  }
  if (integer(f, "reply_packets", -1) == 0 && integer(f, "orig_packets", 0) > 0) {
    return "never answered: no packet in the reply direction";
  }
  // ASSURED is set once the handshake completes: a TCP flow without it was refused or dropped.
  if (text(f, "protocol") == "tcp" && text(f, "assured") == "false") {
    return "never ASSURED: the TCP handshake did not complete";
  }
  return "";
}

std::string endpoint_text(const json& s) {
  return text(s, "local_address") + ":" + text(s, "local_port") + " -> " +
         text(s, "remote_address") + ":" + text(s, "remote_port");
}

}  // namespace

bool is_network_tool(const std::string& comm) {
  static const std::set<std::string> tools{"nc",     "ncat",   "netcat", "socat", "nmap", "masscan",
                                           "telnet", "chisel", "frpc",   "ngrok", "xmrig"};
  return tools.count(comm) > 0;
}

void analyze_processes(context& c) {
  auto doc = c.json_file(processes_file);
  if (!doc) return;
  const json& procs = doc->is_object() ? doc->value("processes", json::array()) : *doc;
  if (!procs.is_array()) return;
  // Sockets by inode, to say where a shell's socket goes.
  std::map<std::string, json> sockets;
  if (auto net = c.json_file(network_file); net && net->is_object()) {
    for (const auto& s : part_items(*net, "sockets")) sockets[text(s, "inode")] = s;
  }
  for (const auto& p : procs) {
    if (!p.is_object()) continue;
    const std::string pid = text(p, "pid"), comm = text(p, "comm"), exe = text(p, "exe");
    const std::string cmd = joined(p.value("cmdline", json::array()));
    const std::string start = text(p, "start_time");
    const std::string who = comm + " (pid " + pid + ")";
    const json base = {{"pid", pid},
                       {"ns_pid", text(p, "ns_pid")},
                       {"comm", comm},
                       {"exe", exe},
                       {"cmdline", cmd}};
    if (!start.empty()) {
      const json facts = {{"pid", p.value("pid", json())},
                          {"ns_pid", p.value("ns_pid", json())},
                          {"comm", comm},
                          {"exe", exe},
                          {"cmdline", p.value("cmdline", json::array())}};
      c.event(start, "process_start", who + ": " + cmd, processes_file, time_source::kernel, facts);
    }
    if (flag(p, "exe_deleted") || exe.ends_with(" (deleted)")) {
      c.add({"process", "deleted_executable", severity::high,
             who + " runs an executable deleted from disk: " + exe, processes_file, start, base});
    }
    for (const char* dir : {"/tmp/", "/var/tmp/", "/dev/shm/"}) {
      if (exe.starts_with(dir)) {
        c.add({"process", "exe_in_temp", severity::high, who + " runs from " + exe, processes_file,
               start, base});
      }
    }
    const auto inodes = socket_inodes(p);
    if (is_shell(comm) && !inodes.empty()) {
      json d = base;
      d["sockets"] = json::array();
      for (const auto& i : inodes) {
        if (sockets.count(i)) d["sockets"].push_back(endpoint_text(sockets[i]));
      }
      c.add({"process", "shell_with_socket", severity::high,
             "shell " + who + " holds " + std::to_string(inodes.size()) + " socket(s)",
             processes_file, start, d});
    }
    if (is_network_tool(comm)) {
      c.add({"process", "network_tool", severity::medium,
             "network tool running: " + who + ": " + cmd, processes_file, start, base});
    }
    if (const auto* hit = c.options.iocs.match_sha256(text(p, "exe_sha256"))) {
      c.ioc_hit(*hit, text(p, "exe_sha256"), "executable of " + who, processes_file, start);
    }
    c.ioc_scan_text(cmd, "command line of " + who, processes_file, start);
  }
}

void analyze_network_json(context& c) {
  auto doc = c.json_file(network_file);
  if (!doc || !doc->is_object()) return;
  std::set<std::string> exposed;  // "80/tcp" from the image/container config
  if (auto inspect = c.json_file("engine/container-inspect.json");
      inspect && inspect->is_object()) {
    const json cfg = inspect->value("Config", json::object());
    if (cfg.is_object() && cfg.contains("ExposedPorts") && cfg["ExposedPorts"].is_object()) {
      for (const auto& [k, v] : cfg["ExposedPorts"].items()) exposed.insert(k);
    }
  }
  for (const auto& s : part_items(*doc, "sockets")) {
    if (!s.is_object()) continue;
    c.report.sockets.push_back(s);
    const std::string proto = text(s, "protocol"), state = text(s, "state");
    const std::string local = text(s, "local_address"), remote = text(s, "remote_address");
    const std::string owner = text(s, "comm").empty()
                                  ? std::string("unknown process")
                                  : text(s, "comm") + " (pid " + text(s, "pid") + ")";
    if (state == "LISTEN" || (proto.starts_with("udp") && unspecified(remote))) {
      const std::string port = text(s, "local_port");
      const std::string key = port + "/" + (proto.starts_with("udp") ? "udp" : "tcp");
      if (local != "127.0.0.11" && !exposed.count(key)) {
        c.add({"network", "unexpected_listener", severity::medium,
               owner + " listens on " + local + ":" + port + "/" + proto +
                   ", which the container does not expose",
               network_file, "", s});
      }
      continue;
    }
    if (unspecified(remote)) continue;
    const bool ext = external(remote);
    c.add({"network", "remote_socket", ext ? severity::medium : severity::low,
           owner + " has a " + proto + " socket " + endpoint_text(s) + " (" + state + ")" +
               (ext ? ", to an external address" : ""),
           network_file, "", s});
    if (const auto* hit = c.options.iocs.match_address(remote)) {
      c.ioc_hit(*hit, remote, "socket of " + owner + " (" + state + ")", network_file);
    }
  }
  for (const auto& f : part_items(*doc, "conntrack")) {
    if (!f.is_object()) continue;
    c.report.conntrack.push_back(f);
    const std::string src = text(f, "src"), dst = text(f, "dst");
    const std::string line = text(f, "protocol") + " " + src + ":" + text(f, "sport") + " -> " +
                             dst + ":" + text(f, "dport") + " " + text(f, "state");
    const std::string why = unanswered(f);
    const bool unreplied = !why.empty();
    if (external(dst) || unreplied) {
      json d = f;
      if (unreplied) d["unanswered"] = why;
      c.add({"network", unreplied ? "unreplied_flow" : "conntrack_flow",
             unreplied ? severity::medium : severity::low,
             "conntrack: " + line + (unreplied ? " (" + why + ")" : ""), network_file, "", d});
    }
    for (const char* key : {"src", "dst", "reply_src", "reply_dst"}) {
      if (const auto* hit = c.options.iocs.match_address(text(f, key))) {
        c.ioc_hit(*hit, text(f, key), "conntrack flow " + line, network_file);
        break;
      }
    }
  }
}

}  // namespace forensic::analysis::detail
