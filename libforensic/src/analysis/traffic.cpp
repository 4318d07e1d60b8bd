// Network findings from the capture (flows, unanswered SYNs, DNS) and timeline entries from the
// container's logs.
#include <fstream>
#include <map>
#include <set>

#include "analysis/addresses.hpp"
#include "analysis/capture_reader.hpp"
#include "analysis/context.hpp"

namespace forensic::analysis::detail {
namespace {

constexpr const char* capture_file = "capture/capture.pcapng";

bool external(const std::string& addr) {
  auto a = parse_address(addr);
  return a && !is_internal(*a);
}

std::string service(const flow& f) {
  const bool v6 = f.dst.find(':') != std::string::npos;
  return (v6 ? "[" + f.dst + "]" : f.dst) + ":" + std::to_string(f.dport) + "/" + f.protocol;
}

struct destination {
  std::size_t flows = 0, unanswered = 0;
  std::uint64_t packets = 0, bytes = 0, syns = 0;
  std::string first, last;
  std::set<std::string> clients;
};

}  // namespace

void analyze_capture(context& c) {
  auto path = c.file(capture_file);
  if (!path) {
    c.report.capture.reason = std::string("no ") + capture_file + " in the bundle";
    return;
  }
  capture_summary s;
  try {
    s = read_capture(*path);
  } catch (const std::exception& e) {
    c.report.warnings.push_back(e.what());
    c.report.capture.reason = e.what();
    return;
  }
  for (auto& w : s.warnings) c.report.warnings.push_back(std::string(capture_file) + ": " + w);
  // One finding per destination service: a beacon opens a new flow every few seconds.
  std::map<std::string, destination> by_service;
  for (const auto& f : s.flows) {
    if (f.protocol != "tcp" && f.protocol != "udp") continue;
    auto& d = by_service[service(f)];
    ++d.flows;
    d.packets += f.packets;
    d.bytes += f.bytes;
    d.syns += f.syns;
    if (f.syns > 0 && !f.syn_answered) ++d.unanswered;
    if (d.first.empty() || f.first_seen < d.first) d.first = f.first_seen;
    if (f.last_seen > d.last) d.last = f.last_seen;
    d.clients.insert(f.src);
  }
  for (const auto& f : s.flows) {
    if (f.protocol == "tcp" || f.protocol == "udp") {
      c.event(f.first_seen, "flow_first",
              f.protocol + " " + f.src + ":" + std::to_string(f.sport) + " -> " + service(f),
              capture_file, time_source::kernel);
    }
    for (const auto* addr : {&f.dst, &f.src}) {
      if (const auto* hit = c.options.iocs.match_address(*addr)) {
        c.ioc_hit(*hit, *addr,
                  "captured " + f.protocol + " flow " + f.src + ":" + std::to_string(f.sport) +
                      " -> " + f.dst + ":" + std::to_string(f.dport) + " (" +
                      std::to_string(f.packets) + " packets)",
                  capture_file, f.first_seen);
        break;
      }
    }
  }
  for (const auto& [svc, d] : by_service) {
    const std::string dst = svc.substr(0, svc.rfind(':'));
    const bool ext = external(dst.front() == '[' ? dst.substr(1, dst.size() - 2) : dst);
    nlohmann::json details = {
        {"service", svc},        {"flows", d.flows},    {"packets", d.packets},
        {"bytes", d.bytes},      {"syns", d.syns},      {"unanswered_flows", d.unanswered},
        {"first_seen", d.first}, {"last_seen", d.last}, {"clients", d.clients}};
    if (ext) {
      c.add({"network", "external_traffic", severity::medium,
             std::to_string(d.flows) + " flow(s) to " + svc + ", " + std::to_string(d.packets) +
                 " packets, " + d.first + " .. " + d.last,
             capture_file, d.first, details});
    }
    if (d.unanswered > 0) {
      c.add(
          {"network", "unanswered_syn", severity::medium,
           std::to_string(d.unanswered) + " TCP connection attempt(s) to " + svc + " got no answer",
           capture_file, d.first, details});
    }
  }
  std::map<std::string, std::size_t> queries;
  std::map<std::string, nlohmann::json> malformed;  // per server service
  for (const auto& d : s.dns) {
    if (d.malformed) {
      const bool v6 = d.server.find(':') != std::string::npos;
      auto& m = malformed[(v6 ? "[" + d.server + "]" : d.server) + ":" +
                          std::to_string(d.server_port) + "/" + d.transport];
      if (m.is_null())
        m = {{"messages", 0}, {"problems", nlohmann::json::array()}, {"first", d.time}};
      m["messages"] = m["messages"].get<std::size_t>() + 1;
      if (m["problems"].size() < 10) m["problems"].push_back(d.problem);
    }
    if (!d.response && !d.malformed) {
      ++queries[d.name + " " + d.type];
      c.event(d.time, "dns",
              "query " + d.name + " " + d.type + " to " + d.server + " port " +
                  std::to_string(d.server_port) + "/" + d.transport,
              capture_file, time_source::kernel);
    }
    if (const auto* hit = c.options.iocs.match_domain(d.name)) {
      c.ioc_hit(*hit, d.name,
                std::string("DNS ") + (d.response ? "answer" : "query") + " for " + d.name,
                capture_file, d.time);
    }
    for (const auto& a : d.answers) {
      if (const auto* hit = c.options.iocs.match_address(a)) {
        c.ioc_hit(*hit, a, "DNS answer " + d.name + " -> " + a, capture_file, d.time);
      }
    }
  }
  for (const auto& [q, n] : queries) {
    c.add({"network",
           "dns_query",
           severity::info,
           "DNS query " + q + " (" + std::to_string(n) + "x)",
           capture_file,
           "",
           {{"query", q}}});
  }
  for (const auto& [svc, m] : malformed) {
    c.add({"network",
           "dns_malformed",
           severity::medium,
           std::to_string(m["messages"].get<std::size_t>()) +
               " malformed DNS message(s) to or from " + svc,
           capture_file,
           m["first"].get<std::string>(),
           {{"service", svc}, {"messages", m["messages"]}, {"problems", m["problems"]}}});
  }
  if (s.stats.malformed_ip > 0 || s.stats.unattributed_fragments > 0) {
    c.add({"network",
           "malformed_packets",
           severity::low,
           std::to_string(s.stats.malformed_ip) + " malformed IP packet(s), " +
               std::to_string(s.stats.unattributed_fragments) +
               " fragment(s) without their first fragment (flows \"malformed\" and "
               "\"fragments\")",
           capture_file,
           "",
           {{"malformed_ip", s.stats.malformed_ip},
            {"unattributed_fragments", s.stats.unattributed_fragments}}});
  }
  c.report.capture = s.stats;
  c.report.flows = std::move(s.flows);
  c.report.dns = std::move(s.dns);
}

void analyze_logs(context& c) {
  for (const char* name : {"logs/stdout.log", "logs/stderr.log", "logs/tty.log"}) {
    auto path = c.file(name);
    if (!path) continue;
    std::ifstream in(*path, std::ios::binary);
    std::string line;
    std::size_t n = 0;
    const bool stamped = std::string_view(name) != "logs/tty.log";
    while (std::getline(in, line)) {
      std::string time, message = line;
      // "2026-11-23T09:00:00.123456789Z message": the engine's timestamp, UTC.
      auto space = line.find(' ');
      if (stamped && space != std::string::npos && space >= 20 && line[space - 1] == 'Z' &&
          line[4] == '-' && line[10] == 'T') {
        time = line.substr(0, space);
        message = line.substr(space + 1);
      }
      if (!time.empty() && n++ < c.options.max_log_lines) {
        c.event(time, "log", message, name, time_source::engine);
      }
      c.ioc_scan_text(message, std::string("log line of ") + name, name, time);
    }
  }
}

}  // namespace forensic::analysis::detail
