// ECS and OCSF lines from the tools' results (docs/formats.md). The mapping of each of our
// records to a schema's categories lives here and only here.
#include "forensic/formats/siem.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <climits>

#include "forensic/io/address.hpp"
#include "forensic/io/sha256.hpp"
#include "forensic/io/time.hpp"
#include "forensic/version.hpp"
#include "formats/json_text.hpp"

namespace forensic::formats {
namespace {

using detail::text_of;
using nlohmann::json;

// The versions of the published schemas the mapping follows (tests/fixtures/siem/).
constexpr const char* ecs_version = "8.12.0";
constexpr const char* ocsf_version = "1.7.0";

// ECS event.severity and OCSF severity_id share the scale: 1 informational .. 4 high.
int severity_number(analysis::severity s) {
  switch (s) {
    case analysis::severity::info:
      return 1;
    case analysis::severity::low:
      return 2;
    case analysis::severity::medium:
      return 3;
    case analysis::severity::high:
      return 4;
  }
  return 0;
}

const char* ocsf_severity_name(int id) {
  static constexpr std::array<const char*, 5> names{"Unknown", "Informational", "Low", "Medium",
                                                    "High"};
  return id >= 0 && id < static_cast<int>(names.size()) ? names[static_cast<std::size_t>(id)]
                                                        : "Unknown";
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string name_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string ip_type(const std::string& ip) {
  const auto a = io::parse_ip(ip);
  if (!a) return "";
  return a->family == AF_INET6 ? "ipv6" : "ipv4";
}

// RFC 3339 to milliseconds since the epoch (OCSF timestamp_t); 0 when unreadable.
std::int64_t epoch_ms(const std::string& rfc3339) {
  const auto t = io::parse_rfc3339(rfc3339);
  if (!t) return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
}

std::int64_t number_of(const json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    std::int64_t n = 0;
    if (std::from_chars(s.data(), s.data() + s.size(), n).ec == std::errc{}) return n;
  }
  return 0;
}

std::vector<std::string> args_of(const json& v) {
  std::vector<std::string> out;
  if (v.is_array()) {
    for (const auto& a : v) {
      if (a.is_string()) out.push_back(a.get<std::string>());
    }
  }
  return out;
}

std::string joined(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

// ECS categorization of a record: event.kind, event.category, event.type.
struct ecs_categories {
  const char* kind;
  const char* category;
  const char* type;
};

ecs_categories ecs_categorize(const siem_record& r) {
  switch (r.what) {
    case siem_class::process:
      return {"event", "process", r.action == "start" ? "start" : "info"};
    case siem_class::file:
      return {"event", "file",
              r.action == "creation" ? "creation"
              : r.action == "change" ? "change"
              : r.action == "access" ? "access"
                                     : "info"};
    case siem_class::network:
      return {"event", "network", r.action == "connection" ? "connection" : "info"};
    case siem_class::finding:
      break;
  }
  if (r.category == "ioc") return {"alert", "threat", "indicator"};
  if (r.category == "filesystem") {
    const std::string diff = text_of(r.details, "diff");
    return {"alert", "file", diff == "added" ? "creation" : diff == "changed" ? "change" : "info"};
  }
  if (r.category == "process") return {"alert", "process", "info"};
  if (r.category == "network") return {"alert", "network", "connection"};
  if (r.category == "configuration") return {"alert", "configuration", "info"};
  return {"alert", "host", "info"};  // integrity and anything new
}

json ecs_process(const siem_process& p) {
  json o = json::object();
  if (p.pid) o["pid"] = p.pid;
  if (p.vpid) o["vpid"] = p.vpid;
  if (!p.name.empty()) o["name"] = p.name;
  if (!p.executable.empty()) o["executable"] = p.executable;
  if (!p.args.empty()) o["args"] = p.args;
  const std::string cmd = p.command_line.empty() ? joined(p.args) : p.command_line;
  if (!cmd.empty()) o["command_line"] = cmd;
  if (!p.start.empty()) o["start"] = p.start;
  return o;
}

json ecs_endpoint(const siem_endpoint& e) {
  json o = {{"ip", e.ip}, {"address", e.ip}};
  if (e.port) o["port"] = e.port;
  return o;
}

}  // namespace

siem_context current_context(std::string case_id) {
  siem_context c;
  std::array<char, HOST_NAME_MAX + 1> name{};
  if (::gethostname(name.data(), name.size() - 1) == 0) c.host = name.data();
  c.now = io::rfc3339_now();
  c.case_id = std::move(case_id);
  c.version = version_string;
  return c;
}

std::optional<siem_format> parse_siem_format(std::string_view name) {
  if (name == "ecs") return siem_format::ecs;
  if (name == "ocsf") return siem_format::ocsf;
  return std::nullopt;
}

json to_ecs(const siem_record& r, const siem_context& c) {
  const auto cat = ecs_categorize(r);
  json e = json::object();
  e["@timestamp"] = r.time.empty() ? c.now : r.time;
  e["ecs"] = {{"version", ecs_version}};
  e["message"] = r.message;
  json event = {{"kind", cat.kind},
                {"category", json::array({cat.category})},
                {"type", json::array({cat.type})},
                {"action", r.rule},
                {"severity", severity_number(r.level)},
                {"module", "forensic"},
                {"dataset", "forensic." + (r.tool.empty() ? std::string("tool") : r.tool)},
                {"provider", r.tool},
                {"created", c.now}};
  if (!r.time.empty() && r.time != c.now) event["start"] = r.time;
  e["event"] = std::move(event);
  if (r.what == siem_class::finding) {
    e["rule"] = {
        {"id", r.rule}, {"name", r.rule}, {"category", r.category}, {"ruleset", "libforensic"}};
  }
  if (!c.host.empty()) {
    e["host"] = {{"name", c.host}, {"hostname", c.host}};
    e["observer"] = {{"hostname", c.host},
                     {"product", "libforensic"},
                     {"vendor", "libforensic"},
                     {"type", "forensic"},
                     {"version", c.version}};
  }
  if (!r.container_id.empty() || !r.container_name.empty()) {
    json ct = {{"runtime", "docker"}};
    if (!r.container_id.empty()) ct["id"] = r.container_id;
    if (!r.container_name.empty()) ct["name"] = r.container_name;
    if (!r.container_image.empty()) ct["image"] = {{"name", r.container_image}};
    e["container"] = std::move(ct);
  }
  std::vector<std::string> ips, hashes;
  if (r.process) {
    if (auto p = ecs_process(*r.process); !p.empty()) e["process"] = std::move(p);
  }
  if (r.file && !r.file->path.empty()) {
    json f = {{"path", r.file->path}, {"name", name_of(r.file->path)}};
    if (const auto dir = directory_of(r.file->path); !dir.empty()) f["directory"] = dir;
    if (!r.file->sha256.empty()) {
      f["hash"] = {{"sha256", r.file->sha256}};
      hashes.push_back(r.file->sha256);
    }
    if (!r.file->mtime.empty()) f["mtime"] = r.file->mtime;
    e["file"] = std::move(f);
  }
  if (r.network) {
    const auto& n = *r.network;
    json net = json::object();
    if (!n.transport.empty()) net["transport"] = n.transport;
    const std::string type = ip_type(n.source.ip.empty() ? n.destination.ip : n.source.ip);
    if (!type.empty()) net["type"] = type;
    if (n.packets) net["packets"] = n.packets;
    if (n.bytes) net["bytes"] = n.bytes;
    if (!net.empty()) e["network"] = std::move(net);
    if (!n.source.ip.empty()) {
      json s = ecs_endpoint(n.source);
      if (n.source_nat) {
        s["nat"] = {{"ip", n.source_nat->ip}};
        if (n.source_nat->port) s["nat"]["port"] = n.source_nat->port;
        ips.push_back(n.source_nat->ip);
      }
      e["source"] = std::move(s);
      ips.push_back(n.source.ip);
    }
    if (!n.destination.ip.empty()) {
      e["destination"] = ecs_endpoint(n.destination);
      ips.push_back(n.destination.ip);
    }
  }
  if (r.indicator) {
    json ind = {
        {"type", r.indicator->type}, {"name", r.indicator->value}, {"provider", "ioc file"}};
    if (r.indicator->type == "ipv4-addr" || r.indicator->type == "ipv6-addr") {
      ind["ip"] = r.indicator->value;
      ips.push_back(r.indicator->value);
    } else if (r.indicator->type == "domain-name") {
      ind["url"] = {{"domain", r.indicator->value}};
    } else if (r.indicator->type == "file") {
      hashes.push_back(r.indicator->value);
    }
    e["threat"] = {{"indicator", std::move(ind)}};
  }
  if (!ips.empty() || !hashes.empty()) {
    json rel = json::object();
    std::sort(ips.begin(), ips.end());
    ips.erase(std::unique(ips.begin(), ips.end()), ips.end());
    if (!ips.empty()) rel["ip"] = ips;
    if (!hashes.empty()) rel["hash"] = hashes;
    e["related"] = std::move(rel);
  }
  json labels = json::object();
  if (!c.case_id.empty()) labels["case"] = c.case_id;
  if (!labels.empty()) e["labels"] = std::move(labels);
  e["tags"] = json::array({"forensic", r.tool});
  // What ECS has no field for: our severity word, where it came from, who set its clock, and
  // the producer's own facts.
  json own = {{"severity", analysis::to_string(r.level)}, {"source", r.source}};
  if (!r.category.empty()) own["category"] = r.category;
  if (!r.time_source.empty()) own["time_source"] = r.time_source;
  if (!r.details.empty()) own["details"] = r.details;
  e["forensic"] = std::move(own);
  return e;
}

namespace {

json ocsf_process(const siem_process& p, const siem_record& r) {
  json o = json::object();
  if (p.pid) o["pid"] = p.pid;
  if (!p.name.empty()) o["name"] = p.name;
  const std::string cmd = p.command_line.empty() ? joined(p.args) : p.command_line;
  if (!cmd.empty()) o["cmd_line"] = cmd;
  if (!p.executable.empty()) {
    o["file"] = {{"name", name_of(p.executable)}, {"path", p.executable}, {"type_id", 1}};
  }
  if (!p.start.empty()) {
    if (const auto ms = epoch_ms(p.start)) o["created_time"] = ms;
  }
  if (!r.container_id.empty()) o["container"] = {{"uid", r.container_id}};
  return o;
}

json ocsf_endpoint(const siem_endpoint& e) {
  json o = {{"ip", e.ip}};
  if (e.port) o["port"] = e.port;
  return o;
}

json ocsf_container(const siem_record& r) {
  json ct = json::object();
  if (!r.container_id.empty()) ct["uid"] = r.container_id;
  if (!r.container_name.empty()) ct["name"] = r.container_name;
  if (!r.container_image.empty()) ct["image"] = {{"name", r.container_image}};
  return ct;
}

json ocsf_file(const siem_file& f) {
  json o = {{"name", name_of(f.path)}, {"path", f.path}, {"type_id", 1}};
  if (!f.sha256.empty()) o["hashes"] = json::array({{{"algorithm_id", 3}, {"value", f.sha256}}});
  if (!f.mtime.empty()) {
    if (const auto ms = epoch_ms(f.mtime)) o["modified_time"] = ms;
  }
  return o;
}

struct ocsf_class {
  int category_uid;
  const char* category_name;
  int class_uid;
  const char* class_name;
  int activity_id;
  const char* activity_name;
};

ocsf_class ocsf_classify(const siem_record& r) {
  switch (r.what) {
    case siem_class::process:
      return {1,
              "System Activity",
              1007,
              "Process Activity",
              r.action == "start" ? 1 : 99,
              r.action == "start" ? "Launch" : "Other"};
    case siem_class::file: {
      if (r.action == "creation")
        return {1, "System Activity", 1001, "File System Activity", 1, "Create"};
      if (r.action == "change")
        return {1, "System Activity", 1001, "File System Activity", 3, "Update"};
      if (r.action == "access")
        return {1, "System Activity", 1001, "File System Activity", 2, "Read"};
      return {1, "System Activity", 1001, "File System Activity", 6, "Set Attributes"};
    }
    case siem_class::network:
      return {4,
              "Network Activity",
              4001,
              "Network Activity",
              r.action == "connection" ? 6 : 99,
              r.action == "connection" ? "Traffic" : "Other"};
    case siem_class::finding:
      break;
  }
  return {2, "Findings", 2004, "Detection Finding", 1, "Create"};
}

}  // namespace

json to_ocsf(const siem_record& r, const siem_context& c) {
  const auto k = ocsf_classify(r);
  const int sev = severity_number(r.level);
  const std::string time = r.time.empty() ? c.now : r.time;
  json e = json::object();
  e["category_uid"] = k.category_uid;
  e["category_name"] = k.category_name;
  e["class_uid"] = k.class_uid;
  e["class_name"] = k.class_name;
  e["activity_id"] = k.activity_id;
  e["activity_name"] = k.activity_name;
  e["type_uid"] = k.class_uid * 100 + k.activity_id;
  e["severity_id"] = sev;
  e["severity"] = ocsf_severity_name(sev);
  e["time"] = epoch_ms(time);
  e["time_dt"] = time;
  e["message"] = r.message;
  json metadata = {{"version", ocsf_version},
                   {"product",
                    {{"name", "libforensic " + (r.tool.empty() ? std::string("tool") : r.tool)},
                     {"vendor_name", "libforensic"},
                     {"version", c.version}}},
                   {"profiles", json::array({"host", "container"})},
                   {"logged_time", epoch_ms(c.now)}};
  if (!c.case_id.empty()) metadata["correlation_uid"] = c.case_id;
  e["metadata"] = std::move(metadata);
  // The host that reports: OCSF device type 1 is "Server".
  e["device"] = {{"type_id", 1}, {"type", "Server"}};
  if (!c.host.empty()) e["device"]["hostname"] = c.host;
  if (const auto ct = ocsf_container(r); !ct.empty()) e["container"] = ct;

  json process = r.process ? ocsf_process(*r.process, r) : json::object();
  json file = r.file && !r.file->path.empty() ? ocsf_file(*r.file) : json::object();
  json src, dst;
  if (r.network) {
    if (!r.network->source.ip.empty()) src = ocsf_endpoint(r.network->source);
    if (!r.network->destination.ip.empty()) dst = ocsf_endpoint(r.network->destination);
  }
  json unmapped = {{"source", r.source}, {"rule", r.rule}};
  if (!r.category.empty()) unmapped["category"] = r.category;
  if (!r.time_source.empty()) unmapped["time_source"] = r.time_source;
  if (!r.details.empty()) unmapped["details"] = r.details;

  switch (r.what) {
    case siem_class::finding: {
      // The same finding of the same bundle gets the same uid on every run: a SIEM that ingests
      // a report twice sees one finding.
      const std::string uid = io::sha256::of(r.tool + "\n" + r.rule + "\n" + r.container_id + "\n" +
                                             r.source + "\n" + r.time + "\n" + r.message)
                                  .substr(0, 32);
      json info = {{"uid", uid},
                   {"title", r.rule},
                   {"desc", r.message},
                   {"types", json::array({r.category})},
                   {"analytic", {{"name", r.rule}, {"type_id", 1}, {"type", "Rule"}}},
                   {"product", {{"name", "libforensic"}, {"vendor_name", "libforensic"}}}};
      if (!r.time.empty()) info["first_seen_time"] = epoch_ms(r.time);
      e["finding_info"] = std::move(info);
      e["status_id"] = 1;  // New
      e["status"] = "New";
      e["is_alert"] = r.level >= analysis::severity::medium;
      json evidence = json::object();
      if (!process.empty()) evidence["process"] = process;
      if (!file.empty()) evidence["file"] = file;
      if (!src.is_null()) evidence["src_endpoint"] = src;
      if (!dst.is_null()) evidence["dst_endpoint"] = dst;
      if (const auto ct = ocsf_container(r); !ct.empty()) evidence["container"] = ct;
      if (!evidence.empty()) e["evidences"] = json::array({evidence});
      if (!r.container_id.empty()) {
        e["resources"] = json::array(
            {{{"uid", r.container_id}, {"name", r.container_name}, {"type", "Docker container"}}});
      }
      if (r.indicator) {
        // OCSF observable type_id: 2 IP Address, 1 Hostname, 8 Hash.
        const int type_id = r.indicator->type == "domain-name" ? 1
                            : r.indicator->type == "file"      ? 8
                                                               : 2;
        e["observables"] = json::array(
            {{{"name", "indicator"}, {"type_id", type_id}, {"value", r.indicator->value}}});
      }
      break;
    }
    case siem_class::process:
      e["process"] = process.empty() ? json{{"name", "unknown"}} : process;
      e["actor"] = {{"process", e["process"]}};
      break;
    case siem_class::file:
      e["file"] = file;
      e["actor"] = process.empty() ? json{{"app_name", "unknown"}} : json{{"process", process}};
      break;
    case siem_class::network:
      if (!src.is_null()) e["src_endpoint"] = src;
      if (!dst.is_null()) e["dst_endpoint"] = dst;
      if (r.network && !r.network->transport.empty()) {
        e["connection_info"] = {{"protocol_name", r.network->transport}};
      }
      if (r.network && (r.network->packets || r.network->bytes)) {
        e["traffic"] = {{"packets", r.network->packets}, {"bytes", r.network->bytes}};
      }
      if (r.network && r.network->source_nat) {
        unmapped["source_nat"] = ocsf_endpoint(*r.network->source_nat);
      }
      if (!process.empty()) e["actor"] = {{"process", process}};
      break;
  }
  e["unmapped"] = std::move(unmapped);
  return e;
}

std::string to_json_lines(const std::vector<siem_record>& records, siem_format format,
                          const siem_context& c) {
  std::string out;
  for (const auto& r : records) {
    const json line = format == siem_format::ecs ? to_ecs(r, c) : to_ocsf(r, c);
    out += line.dump(-1, ' ', false, json::error_handler_t::replace);
    out += '\n';
  }
  return out;
}

namespace {

std::string indicator_type(const std::string& ioc_type, const std::string& value) {
  if (ioc_type == "domain") return "domain-name";
  if (ioc_type == "sha256") return "file";
  const auto a = io::parse_ip(value);
  if (a) return a->family == AF_INET6 ? "ipv6-addr" : "ipv4-addr";
  return ioc_type == "cidr" ? "ipv4-addr" : ioc_type;
}

// The facts of a finding's details that ECS and OCSF have fields for.
void fill_from_details(siem_record& s, const json& d) {
  if (!d.is_object()) return;
  if (const auto path = text_of(d, "path"); !path.empty()) {
    s.file = siem_file{path, text_of(d, "sha256"), text_of(d, "mtime")};
  }
  if (d.contains("pid") || d.contains("comm")) {
    siem_process p;
    p.pid = number_of(d.value("pid", json()));
    p.vpid = number_of(d.value("ns_pid", json()));
    p.name = text_of(d, "comm");
    p.executable = text_of(d, "exe");
    if (d.contains("cmdline") && d["cmdline"].is_array()) {
      p.args = args_of(d["cmdline"]);
    } else {
      p.command_line = text_of(d, "cmdline");
    }
    if (p.pid || !p.name.empty()) s.process = std::move(p);
  }
  // A socket of network/network.json or a conntrack flow.
  const std::string local = text_of(d, "local_address"), remote = text_of(d, "remote_address");
  if (!local.empty() || !remote.empty()) {
    siem_network n;
    n.transport = text_of(d, "protocol");
    n.source = {local, static_cast<std::uint16_t>(number_of(d.value("local_port", json())))};
    n.destination = {remote, static_cast<std::uint16_t>(number_of(d.value("remote_port", json())))};
    s.network = std::move(n);
  } else if (const std::string src = text_of(d, "src"), dst = text_of(d, "dst");
             !src.empty() && !dst.empty()) {
    siem_network n;
    n.transport = text_of(d, "protocol");
    n.source = {src, static_cast<std::uint16_t>(number_of(d.value("sport", json())))};
    n.destination = {dst, static_cast<std::uint16_t>(number_of(d.value("dport", json())))};
    n.packets = static_cast<std::uint64_t>(number_of(d.value("packets", json())));
    n.bytes = static_cast<std::uint64_t>(number_of(d.value("bytes", json())));
    s.network = std::move(n);
  } else if (const std::string svc = text_of(d, "service"); !svc.empty()) {
    // "203.0.113.66:4444/tcp" or "[2001:db8::1]:443/tcp" from the capture.
    const auto colon = svc.rfind(':'), slash = svc.rfind('/');
    if (colon != std::string::npos) {
      siem_network n;
      std::string host = svc.substr(0, colon);
      if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
      n.destination.ip = host;
      const std::string port =
          svc.substr(colon + 1, slash == std::string::npos ? std::string::npos : slash - colon - 1);
      n.destination.port = static_cast<std::uint16_t>(number_of(json(port)));
      if (slash != std::string::npos) n.transport = svc.substr(slash + 1);
      n.packets = static_cast<std::uint64_t>(number_of(d.value("packets", json())));
      n.bytes = static_cast<std::uint64_t>(number_of(d.value("bytes", json())));
      s.network = std::move(n);
    }
  }
}

std::string file_action(const std::string& kind) {
  if (kind == "file_btime") return "creation";
  if (kind == "file_atime") return "access";
  if (kind == "file_mtime") return "change";
  return "metadata";  // file_ctime: the inode changed
}

}  // namespace

std::vector<siem_record> siem_records(const analysis::analysis_report& r) {
  std::vector<siem_record> out;
  const auto base = [&] {
    siem_record s;
    s.tool = "ir-analyze";
    s.container_id = r.container_id;
    s.container_name = r.container_name;
    s.container_image = r.image;
    return s;
  };
  for (const auto& f : r.findings) {
    siem_record s = base();
    s.what = siem_class::finding;
    s.time = f.time;
    s.rule = f.kind;
    s.category = f.category;
    s.message = f.summary;
    s.level = f.level;
    s.source = f.source;
    s.details = f.details;
    fill_from_details(s, f.details);
    if (f.kind == "ioc_match" && f.details.is_object()) {
      const std::string value = text_of(f.details, "matched").empty()
                                    ? text_of(f.details, "indicator")
                                    : text_of(f.details, "matched");
      s.indicator = siem_indicator{indicator_type(text_of(f.details, "type"), value), value};
    }
    out.push_back(std::move(s));
  }
  for (const auto& e : r.timeline) {
    siem_record s = base();
    s.time = e.time;
    s.rule = e.kind;
    s.message = e.summary;
    s.source = e.source;
    s.time_source = analysis::to_string(e.clock);
    if (e.kind.starts_with("file_")) {
      const std::string path = text_of(e.facts, "path");
      if (path.empty()) continue;  // nothing to name the file by
      s.what = siem_class::file;
      s.category = "filesystem";
      s.action = file_action(e.kind);
      s.file = siem_file{path, "", e.kind == "file_mtime" ? e.time : ""};
    } else if (e.kind == "process_start" || e.kind == "exec") {
      s.what = siem_class::process;
      s.category = "process";
      s.action = "start";
      siem_process p;
      if (e.kind == "exec") {
        p.command_line = text_of(e.facts, "command");
        p.name = "docker exec";
      } else {
        p.pid = number_of(e.facts.value("pid", json()));
        p.vpid = number_of(e.facts.value("ns_pid", json()));
        p.name = text_of(e.facts, "comm");
        p.executable = text_of(e.facts, "exe");
        p.args = args_of(e.facts.value("cmdline", json()));
        p.start = e.time;
      }
      s.process = std::move(p);
    } else {
      continue;  // flows and DNS come from their structured lists below; log lines stay out
    }
    out.push_back(std::move(s));
  }
  for (const auto& f : r.flows) {
    siem_record s = base();
    s.what = siem_class::network;
    s.time = f.first_seen;
    s.rule = "flow";
    s.category = "network";
    s.action = "connection";
    s.message = f.protocol + " " + f.src + ":" + std::to_string(f.sport) + " -> " + f.dst + ":" +
                std::to_string(f.dport) + ", " + std::to_string(f.packets) + " packets";
    s.source = "capture/capture.pcapng";
    s.time_source = analysis::to_string(analysis::time_source::kernel);
    s.network = siem_network{f.protocol,   {f.src, f.sport}, {f.dst, f.dport},
                             std::nullopt, f.packets,        f.bytes};
    s.details = analysis::to_json(f);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<siem_record> siem_records(const net::locate_result& r) {
  std::vector<siem_record> out;
  const std::string address = r.address.to_string();
  for (const auto& m : r.matches) {
    siem_record s;
    s.tool = "ir-locate";
    s.what = siem_class::network;
    s.rule = "locate." + m.kind;
    s.category = "network";
    s.message = m.summary;
    s.level = analysis::severity::info;
    s.container_id = m.container_id;
    s.container_name = m.container_name;
    s.details = net::to_json(m);
    s.details["address"] = address;
    if (m.kind == "socket" && m.socket) {
      const auto& so = *m.socket;
      s.source = "kernel sockets";
      s.action = "connection";
      s.network = siem_network{so.protocol,
                               {so.local_address, so.local_port},
                               {so.remote_address, so.remote_port},
                               std::nullopt,
                               0,
                               0};
      if (so.owner.pid) {
        s.process = siem_process{
            so.owner.pid, so.owner.ns_pid, so.owner.comm, so.owner.exe, so.owner.cmdline, "", ""};
      }
    } else if (m.kind == "conntrack" && m.flow) {
      const auto& f = *m.flow;
      s.source = "kernel conntrack";
      s.action = "connection";
      siem_network n{f.protocol,   {f.src, f.sport}, {f.dst, f.dport},
                     std::nullopt, f.packets,        f.bytes};
      // The reply tuple names the source as the outside saw it (after MASQUERADE).
      if (f.nat() && !f.reply_dst.empty()) n.source_nat = siem_endpoint{f.reply_dst, f.reply_dport};
      s.network = std::move(n);
    } else if (m.kind == "packet") {
      s.source = "capture on " + m.interface;
      s.action = "connection";
      s.network =
          siem_network{"", {m.container_address, 0}, {address, 0}, std::nullopt, m.packets, 0};
    } else {
      s.source = m.kind == "history" ? "engine events" : "engine and kernel addresses";
      s.network = siem_network{"", {m.container_address.empty() ? address : m.container_address, 0},
                               {}, std::nullopt,
                               0,  0};
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<siem_record> siem_records(const std::vector<engine::container>& containers) {
  // How much a flag widens what an intruder in the container can do to the host.
  const auto level = [](const std::string& flag) {
    if (flag == "PRIVILEGED" || flag == "DOCKER-SOCK" || flag == "HOST-PID" ||
        flag == "CAP_SYS_ADMIN") {
      return analysis::severity::high;
    }
    if (flag == "NO-PIDS-LIMIT" || flag == "NO-MEM-LIMIT") return analysis::severity::low;
    return analysis::severity::medium;
  };
  std::vector<siem_record> out;
  for (const auto& c : containers) {
    for (const auto& flag : c.risk_flags()) {
      siem_record s;
      s.tool = "ir-ps";
      s.what = siem_class::finding;
      s.rule = "risk." + flag;
      s.category = "configuration";
      s.message = "container " + c.name() + " runs with " + flag;
      s.level = level(flag);
      s.source = "engine inspect";
      s.container_id = c.id;
      s.container_name = c.name();
      s.container_image = c.image;
      s.details = {{"flag", flag}, {"state", c.state}, {"pid", c.pid}};
      if (c.pid > 0) {
        // The container's init as the engine reports it: its configured command, not a path
        // read from the host (ECS's process.executable is left to what /proc shows).
        s.process = siem_process{c.pid, 0, "", "", {}, "", c.started_at};
        if (!c.path.empty()) {
          s.process->args.push_back(c.path);
          s.process->args.insert(s.process->args.end(), c.args.begin(), c.args.end());
        }
      }
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::vector<siem_record> siem_records(const std::vector<engine::container>& containers,
                                      const std::vector<proc::escape_audit>& audits) {
  auto out = siem_records(containers);
  for (std::size_t i = 0; i < containers.size() && i < audits.size(); ++i) {
    const auto& c = containers[i];
    const auto& a = audits[i];
    if (!a.collected) continue;
    const auto engine_flags = c.risk_flags();
    for (const auto& flag : a.flags) {
      if (std::find(engine_flags.begin(), engine_flags.end(), flag) != engine_flags.end()) {
        continue;
      }
      siem_record s;
      s.tool = "ir-ps";
      s.what = siem_class::finding;
      s.rule = "kernel." + flag;
      s.category = "configuration";
      s.message = "container " + c.name() + " runs with " + flag + " (as the kernel shows it)";
      s.level = flag.rfind("CAP_", 0) == 0 || flag.find("SOCK") != std::string::npos ||
                        flag == "HOST-ROOT-MOUNT" || flag == "DOCKER-DATA-MOUNT"
                    ? analysis::severity::high
                    : analysis::severity::medium;
      s.source = "kernel /proc";
      s.container_id = c.id;
      s.container_name = c.name();
      s.container_image = c.image;
      s.details = {{"flag", flag}, {"state", c.state}, {"pid", c.pid}};
      if (c.pid > 0) s.process = siem_process{c.pid, 0, "", "", {}, "", c.started_at};
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::vector<siem_record> siem_records(const hunt::hunt_report& r) {
  const auto level = [](const std::string& severity) {
    if (severity == "high") return analysis::severity::high;
    if (severity == "medium") return analysis::severity::medium;
    return analysis::severity::low;
  };
  std::vector<siem_record> out;
  for (const auto& f : r.findings) {
    siem_record s;
    s.tool = "ir-hunt";
    s.what = siem_class::finding;
    s.rule = "hunt." + f.kind;
    s.category = "process";
    s.message = f.summary;
    s.level = level(f.severity);
    s.source = "kernel /proc and the engine's container list";
    s.container_id = f.container_id;
    s.container_name = f.container_name;
    s.details = hunt::to_json(f);
    if (!f.pids.empty()) {
      s.process = siem_process{};
      s.process->pid = f.pids.front();
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace forensic::formats
