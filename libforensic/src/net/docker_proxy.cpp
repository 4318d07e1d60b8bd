#include "forensic/net/docker_proxy.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <string_view>

#include "proc/proc_files.hpp"

namespace forensic::net {
namespace {

bool parse_port(std::string_view text, std::uint16_t& port) noexcept {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
    return false;
  }
  port = static_cast<std::uint16_t>(value);
  return true;
}

}  // namespace

std::optional<docker_proxy> parse_docker_proxy(const std::vector<std::string>& argv) noexcept {
  try {
    if (argv.empty()) return std::nullopt;
    const std::string_view program = argv[0];
    const auto slash = program.rfind('/');
    if (program.substr(slash == std::string_view::npos ? 0 : slash + 1) != "docker-proxy") {
      return std::nullopt;
    }
    docker_proxy p;
    bool host_port = false, container_port = false;
    for (std::size_t i = 1; i < argv.size(); ++i) {
      std::string_view flag = argv[i];
      if (!flag.starts_with('-')) continue;
      flag.remove_prefix(flag.starts_with("--") ? 2 : 1);
      std::string_view value;
      if (const auto eq = flag.find('='); eq != std::string_view::npos) {
        value = flag.substr(eq + 1);
        flag = flag.substr(0, eq);
      } else if (i + 1 < argv.size()) {
        value = argv[++i];
      }
      if (flag == "proto")
        p.protocol = value;
      else if (flag == "host-ip")
        p.host_ip = value;
      else if (flag == "container-ip")
        p.container_ip = value;
      else if (flag == "host-port")
        host_port = parse_port(value, p.host_port);
      else if (flag == "container-port")
        container_port = parse_port(value, p.container_port);
    }
    if (!host_port || !container_port) return std::nullopt;
    if (p.protocol.empty()) p.protocol = "tcp";  // docker-proxy's default
    return p;
  } catch (...) {
    return std::nullopt;  // allocation failure: nothing half-built leaves
  }
}

std::vector<docker_proxy> docker_proxies() {
  std::vector<docker_proxy> out;
  for (const auto& entry : proc::scan_processes(false)) {
    const auto comm = proc::read_file("/proc/" + std::to_string(entry.pid) + "/comm", 4096);
    if (!comm || !comm->starts_with("docker-proxy")) continue;
    auto process = describe_process(entry.pid);
    auto proxy = parse_docker_proxy(process.cmdline);
    if (!proxy) continue;  // exited between the two reads, or not a forwarding proxy
    proxy->process = std::move(process);
    out.push_back(std::move(*proxy));
  }
  std::sort(out.begin(), out.end(), [](const docker_proxy& a, const docker_proxy& b) {
    return a.process.pid < b.process.pid;
  });
  return out;
}

nlohmann::json to_json(const docker_proxy& p) {
  return {{"pid", p.process.pid},           {"ns_pid", p.process.ns_pid},
          {"comm", p.process.comm},         {"cmdline", p.process.cmdline},
          {"exe", p.process.exe},           {"protocol", p.protocol},
          {"host_ip", p.host_ip},           {"host_port", p.host_port},
          {"container_ip", p.container_ip}, {"container_port", p.container_port}};
}

}  // namespace forensic::net
