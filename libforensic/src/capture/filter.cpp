// The capture filter helpers, the stop reasons' names and the JSON form of a result.
#include <pcap/pcap.h>

#include <charconv>
#include <memory>

#include "forensic/capture/session.hpp"
#include "forensic/error.hpp"
#include "forensic/io/address.hpp"
#include "forensic/io/time.hpp"
#include "io/c_handles.hpp"

namespace forensic::capture {
namespace {

// "ADDR" -> "host ADDR"; "ADDR/LEN" -> "net ADDR/LEN"; anything else is refused, so that
// --peer can't carry filter syntax. The text goes into the filter as typed, so only the
// literal spellings libpcap reads back are accepted (no brackets, no zone).
std::string peer_primitive(const std::string& peer) {
  if (io::parse_subnet(peer, io::address_syntax::literal)) {
    return (peer.find('/') == std::string::npos ? "host " : "net ") + peer;
  }
  throw error(errc::invalid_argument,
              "peer '" + peer +
                  "' is not an IP address or network (e.g. 172.18.0.3, fd00::3, "
                  "10.0.0.0/8)");
}

}  // namespace

std::string build_filter(const std::string& filter, const std::vector<std::string>& peers,
                         const std::vector<int>& ports) {
  std::vector<std::string> parts;
  if (!peers.empty()) {
    std::string p;
    for (const auto& peer : peers) p += (p.empty() ? "" : " or ") + peer_primitive(peer);
    parts.push_back(p);
  }
  if (!ports.empty()) {
    std::string p;
    for (int port : ports) {
      if (port < 1 || port > 65535) {
        throw error(errc::invalid_argument,
                    "port " + std::to_string(port) + " is out of range (1-65535)");
      }
      p += (p.empty() ? "port " : " or port ") + std::to_string(port);
    }
    parts.push_back(p);
  }
  if (!filter.empty()) parts.push_back(filter);
  if (parts.size() == 1) return parts.front();
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "(" : " and (") + p + ")";
  return out;
}

void check_filter(const std::string& filter) {
  if (filter.empty()) return;
  const io::pcap_ptr dead(pcap_open_dead(DLT_EN10MB, 262144));
  if (!dead) throw error(errc::pcap, "libpcap could not create a filter compiler");
  struct bpf_program program {};
  if (pcap_compile(dead.get(), &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    throw error(errc::invalid_argument,
                "bad capture filter '" + filter + "': " + pcap_geterr(dead.get()));
  }
  pcap_freecode(&program);
}

const char* stop_reason_name(stop_reason r) noexcept {
  switch (r) {
    case stop_reason::duration:
      return "duration";
    case stop_reason::packet_count:
      return "packet_count";
    case stop_reason::byte_count:
      return "byte_count";
    case stop_reason::total_bytes_cap:
      return "total_bytes_cap";
    case stop_reason::disk_space:
      return "disk_space";
    case stop_reason::interrupted:
      return "interrupted";
    case stop_reason::interfaces_gone:
      return "interfaces_gone";
  }
  return "unknown";
}

nlohmann::json to_json(const capture_result& r) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : r.files) {
    files.push_back({{"path", f.path.string()},
                     {"sha256", f.sha256},
                     {"sha256_file", f.sha256_path.string()},
                     {"bytes", f.bytes},
                     {"packets", f.packets}});
  }
  nlohmann::json interfaces = nlohmann::json::array();
  auto when = [](std::chrono::system_clock::time_point t) {
    return io::format_rfc3339(t, io::time_precision::millis);
  };
  for (const auto& i : r.interfaces) {
    nlohmann::json dropped = nullptr;  // the shared socket dropped packets: whose is not known
    if (i.dropped_by_kernel_known) dropped = i.dropped_by_kernel;
    interfaces.push_back({{"name", i.name},
                          {"description", i.description},
                          {"link_type", i.link_type},
                          {"link_type_name", i.link_type_name},
                          {"captured", i.captured},
                          {"received", i.received},
                          {"dropped_by_kernel", dropped},
                          {"dropped_by_interface", i.dropped_by_interface},
                          {"vanished", i.vanished},
                          {"joined", when(i.joined)},
                          {"left", i.left ? nlohmann::json(when(*i.left)) : nlohmann::json()},
                          {"socket", i.shared_socket ? "shared" : "own"}});
  }
  nlohmann::json not_added = nlohmann::json::array();
  for (const auto& n : r.not_added) {
    not_added.push_back({{"name", n.name},
                         {"description", n.description},
                         {"reason", n.reason},
                         {"at", when(n.at)}});
  }
  nlohmann::json j = {{"schema", "forensic.capture/1"},
                      {"filter", r.filter},
                      {"started", io::format_rfc3339(r.started, io::time_precision::millis)},
                      {"finished", io::format_rfc3339(r.finished, io::time_precision::millis)},
                      {"stop_reason", stop_reason_name(r.reason)},
                      {"message", r.message},
                      {"packets", r.packets},
                      {"bytes", r.bytes},
                      {"files", files},
                      {"interfaces", interfaces},
                      {"following", r.following},
                      {"not_added", not_added}};
  if (r.shared_socket) {
    j["shared_socket"] = {{"interfaces", r.shared_socket->interfaces},
                          {"received", r.shared_socket->received},
                          {"dropped_by_kernel", r.shared_socket->dropped_by_kernel}};
  }
  // Only when libpcap warned: the document of an ordinary capture stays as it was.
  if (!r.warnings.empty()) j["warnings"] = r.warnings;
  return j;
}

}  // namespace forensic::capture
