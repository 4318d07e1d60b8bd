// The self-contained HTML report (docs/formats.md): findings, coverage, a timeline and the
// network placement drawn as inline SVG. No script and nothing fetched.
#include "forensic/formats/html.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <vector>

#include "forensic/io/address.hpp"
#include "forensic/io/time.hpp"
#include "formats/json_text.hpp"

namespace forensic::formats {
namespace {

using detail::text_of;
using nlohmann::json;

std::string e(std::string_view s) { return html_escape(s); }

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::optional<json> read_json(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

const char* css = R"(
body{font-family:sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:2em}
table{border-collapse:collapse;width:100%;font-size:.9em}
td,th{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4}code,.mono{font-family:monospace;word-break:break-all}
.high{background:#fde2e2}.medium{background:#fff1d6}.low{background:#eef6ff}.info{background:#f7f7f7}
.sev{font-weight:bold;text-transform:uppercase}
.ok{color:#176117;font-weight:bold}.bad{color:#a11;font-weight:bold}
.gap{color:#a11}.legend span{margin-right:1.5em}
svg text{font-family:sans-serif;font-size:11px}
)";

// ---- timeline -------------------------------------------------------------------------------

struct lane {
  const char* title;
  std::vector<const analysis::timeline_event*> events;
};

int lane_of(const std::string& kind) {
  if (kind == "process_start") return 0;
  if (kind.starts_with("file_")) return 1;
  if (kind == "exec" || kind == "log") return 2;
  if (kind == "flow_first" || kind == "dns") return 3;
  return -1;
}

double seconds_of(const std::string& t) {
  const auto p = io::parse_rfc3339(t);
  if (!p) return -1;
  return std::chrono::duration<double>(p->time_since_epoch()).count();
}

std::string timeline_svg(const analysis::analysis_report& r) {
  std::array<lane, 4> lanes{
      {{"process starts", {}}, {"file changes", {}}, {"engine events", {}}, {"flows and DNS", {}}}};
  double lo = 0, hi = 0;
  bool any = false;
  for (const auto& ev : r.timeline) {
    const int l = lane_of(ev.kind);
    const double s = seconds_of(ev.time);
    if (l < 0 || s < 0) continue;
    lanes[static_cast<std::size_t>(l)].events.push_back(&ev);
    if (!any) lo = hi = s;
    lo = std::min(lo, s);
    hi = std::max(hi, s);
    any = true;
  }
  if (!any) return "<p>No timeline events with a time.</p>\n";
  constexpr double left = 130, width = 820, lane_height = 44, top = 20;
  const double span = hi > lo ? hi - lo : 1;
  const double height = top + lane_height * lanes.size() + 40;
  std::string o =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" id=\"timeline\" "
      "width=\"" +
      num(left + width + 30) + "\" height=\"" + num(height) + "\" aria-label=\"timeline\">\n";
  // At most this many marks a lane: a timeline of thousands of file times would be a smear, and
  // the page must stay small; the full list is in the JSON and Timesketch formats.
  constexpr std::size_t max_marks = 600;
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    const double y = top + lane_height * static_cast<double>(i) + lane_height / 2;
    o += "<text x=\"4\" y=\"" + num(y + 4) + "\">" + e(lanes[i].title) + " (" +
         std::to_string(lanes[i].events.size()) + ")</text>\n";
    o += "<line x1=\"" + num(left) + "\" y1=\"" + num(y) + "\" x2=\"" + num(left + width) +
         "\" y2=\"" + num(y) + "\" stroke=\"#ccc\"/>\n";
    const auto& evs = lanes[i].events;
    const std::size_t step = evs.size() > max_marks ? (evs.size() + max_marks - 1) / max_marks : 1;
    for (std::size_t k = 0; k < evs.size(); k += step) {
      const auto* ev = evs[k];
      const double x = left + (seconds_of(ev->time) - lo) / span * width;
      const std::string tip = "<title>" + e(ev->time) + " " + e(ev->kind) + " [" +
                              e(analysis::to_string(ev->clock)) + "] " + e(ev->summary) +
                              "</title>";
      if (ev->clock == analysis::time_source::attacker_settable) {
        // A hollow red diamond: a time the intruder could have set.
        o += "<path class=\"settable\" d=\"M" + num(x) + " " + num(y - 7) +
             " l6 7 l-6 7 l-6 -7 z\" "
             "fill=\"none\" stroke=\"#c00\" stroke-width=\"1.5\">" +
             tip + "</path>\n";
      } else if (ev->clock == analysis::time_source::engine) {
        o += "<rect x=\"" + num(x - 4) + "\" y=\"" + num(y - 4) +
             "\" width=\"8\" height=\"8\" fill=\"#36c\">" + tip + "</rect>\n";
      } else {
        o += "<circle cx=\"" + num(x) + "\" cy=\"" + num(y) + "\" r=\"4\" fill=\"#222\">" + tip +
             "</circle>\n";
      }
    }
  }
  const double axis = top + lane_height * lanes.size() + 8;
  o += "<line x1=\"" + num(left) + "\" y1=\"" + num(axis) + "\" x2=\"" + num(left + width) +
       "\" y2=\"" + num(axis) + "\" stroke=\"#222\"/>\n";
  const auto label = [&](double s, double x, const char* anchor) {
    const auto t = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::duration<double>(s)));
    o += "<text x=\"" + num(x) + "\" y=\"" + num(axis + 16) + "\" text-anchor=\"" + anchor + "\">" +
         e(io::format_rfc3339(t, io::time_precision::seconds)) + "</text>\n";
  };
  label(lo, left, "start");
  if (hi > lo) {
    label(lo + span / 2, left + width / 2, "middle");
    label(hi, left + width, "end");
  }
  o += "</svg>\n";
  o += "<p class=\"legend\"><span>&#9679; kernel clock</span><span style=\"color:#c00\">&#9671; "
       "attacker-settable (mtime/atime: touch -d sets them)</span><span style=\"color:#36c\">"
       "&#9632; engine clock</span></p>\n";
  return o;
}

// ---- network placement ----------------------------------------------------------------------

struct placed_interface {
  std::string name, addresses, veth, bridge, network;
};

std::string box(double x, double y, double w, const std::string& title, const std::string& sub,
                const char* fill) {
  std::string o = "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(w) +
                  "\" height=\"40\" rx=\"4\" fill=\"" + fill + "\" stroke=\"#555\"/>\n";
  o += "<text x=\"" + num(x + 6) + "\" y=\"" + num(y + 16) + "\">" + e(title) + "</text>\n";
  if (!sub.empty()) {
    o += "<text x=\"" + num(x + 6) + "\" y=\"" + num(y + 32) + "\" class=\"mono\">" + e(sub) +
         "</text>\n";
  }
  return o;
}

std::string arrow(double x1, double y1, double x2, double y2) {
  return "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" +
         num(y2) + "\" stroke=\"#555\" marker-end=\"url(#arrow)\"/>\n";
}

std::string placement_section(const analysis::analysis_report& r) {
  const std::filesystem::path root(r.bundle);
  std::vector<placed_interface> ifs;
  std::set<std::string> own;  // the container's addresses
  std::string not_collected;
  if (auto net = read_json(root / "network/network.json"); net && net->is_object()) {
    const json part = net->value("interfaces", json());
    if (part.is_object() && part.value("collected", false) && part.contains("items") &&
        part["items"].is_array()) {
      for (const auto& i : part["items"]) {
        placed_interface p;
        p.name = text_of(i, "name");
        for (const auto& a : i.value("addresses", json::array())) {
          const std::string addr = text_of(a, "address");
          if (addr.empty()) continue;
          own.insert(addr);
          p.addresses += (p.addresses.empty() ? "" : " ") + addr;
        }
        if (i.contains("host_veth") && i["host_veth"].is_object()) {
          p.veth = text_of(i["host_veth"], "name");
        }
        p.bridge = text_of(i, "bridge");
        p.network = text_of(i, "network");
        if (p.name != "lo") ifs.push_back(std::move(p));
      }
    } else if (part.is_object()) {
      not_collected = "interfaces not collected: " + text_of(part, "reason");
    }
    for (const auto& a : net->value("addresses", json::array())) {
      if (a.is_string()) own.insert(a.get<std::string>());
    }
  } else {
    not_collected = "network/network.json is not in the bundle";
  }
  if (ifs.empty()) {
    // The engine's view, when the kernel's was not taken.
    if (auto inspect = read_json(root / "engine/container-inspect.json");
        inspect && inspect->is_object()) {
      const json nets = inspect->value("NetworkSettings", json::object()).value("Networks", json());
      if (nets.is_object()) {
        for (const auto& [name, n] : nets.items()) {
          placed_interface p;
          p.name = "(engine view)";
          p.addresses = text_of(n, "IPAddress");
          p.network = name;
          if (!p.addresses.empty()) own.insert(p.addresses);
          ifs.push_back(std::move(p));
        }
      }
    }
  }
  // Peers seen, and the address the host's NAT gave the container's flows.
  std::map<std::string, std::string> peers;  // address -> where seen
  std::set<std::string> nat;
  const auto is_peer = [&](const std::string& a) {
    const auto ip = io::parse_ip(a);
    if (!ip || own.count(a)) return false;
    const std::string s = ip->to_string();
    return s != "0.0.0.0" && s != "::" && s != "127.0.0.1" && s != "::1" && s != "127.0.0.11";
  };
  for (const auto& f : r.flows) {
    for (const auto* a : {&f.dst, &f.src}) {
      if (is_peer(*a) && (own.count(f.src) || own.count(f.dst) || own.empty())) {
        peers.emplace(*a, "capture");
      }
    }
  }
  for (const auto& s : r.sockets) {
    const std::string a = text_of(s, "remote_address");
    if (is_peer(a)) peers.emplace(a, "socket");
  }
  for (const auto& f : r.conntrack) {
    const std::string dst = text_of(f, "dst"), src = text_of(f, "src"),
                      reply_dst = text_of(f, "reply_dst");
    if (is_peer(dst)) peers.emplace(dst, "conntrack");
    if (!reply_dst.empty() && reply_dst != src) nat.insert(reply_dst);
  }

  std::string o = "<h2 id=\"placement\">Network placement</h2>\n";
  if (!not_collected.empty()) o += "<p class=\"gap\">" + e(not_collected) + "</p>\n";
  if (ifs.empty() && peers.empty()) return o + "<p>No interface or peer is known.</p>\n";
  const std::size_t rows =
      std::max<std::size_t>({ifs.size(), 1, std::min<std::size_t>(peers.size(), 12)});
  const double height = 30 + 56.0 * static_cast<double>(rows);
  o += "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" id=\"placement-map\" width=\"1060\" "
       "height=\"" +
       num(height) +
       "\" aria-label=\"network placement\">\n"
       "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" "
       "markerHeight=\"6\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" "
       "fill=\"#555\"/></marker></defs>\n";
  const double mid = 10 + (height - 20) / 2 - 20;
  o += box(10, mid, 150,
           "container " + (r.container_name.empty() ? std::string("?") : r.container_name),
           r.container_id.substr(0, 12), "#eef");
  const std::string nat_label = nat.empty() ? "host (no NAT'd flow seen)" : "host NAT";
  std::string nat_sub;
  for (const auto& a : nat) nat_sub += (nat_sub.empty() ? "as " : ", ") + a;
  o += box(720, mid, 150, nat_label, nat_sub, "#f4f4f4");
  if (ifs.empty()) o += arrow(160, mid + 20, 720, mid + 20);
  for (std::size_t i = 0; i < ifs.size(); ++i) {
    const double y = 10 + 56.0 * static_cast<double>(i);
    const auto& p = ifs[i];
    o += box(185, y, 160, "if " + p.name, p.addresses, "#fff");
    o += arrow(160, mid + 20, 185, y + 20);
    o += box(370, y, 150, "veth " + (p.veth.empty() ? std::string("?") : p.veth), "", "#fff");
    o += arrow(345, y + 20, 370, y + 20);
    o += box(545, y, 150, "bridge " + (p.bridge.empty() ? std::string("?") : p.bridge),
             p.network.empty() ? "" : "network " + p.network, "#efe");
    o += arrow(520, y + 20, 545, y + 20);
    o += arrow(695, y + 20, 720, mid + 20);
  }
  std::size_t k = 0;
  for (const auto& [a, where] : peers) {
    if (k == 12) break;
    const double y = 10 + 56.0 * static_cast<double>(k++);
    o += box(895, y, 155, a, "seen in " + where, "#fde2e2");
    o += arrow(870, mid + 20, 895, y + 20);
  }
  o += "</svg>\n";
  if (peers.size() > 12) {
    o +=
        "<p>" + std::to_string(peers.size() - 12) + " more peers: see the flows in the JSON.</p>\n";
  }
  return o;
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if ((c < 0x20 && ch != '\n' && ch != '\t') || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out;
}

std::string to_html(const analysis::analysis_report& r) {
  std::string o;
  o += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  o += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
       "style-src 'unsafe-inline'\">\n";
  o += "<title>Incident analysis: " + e(r.container_name) + "</title>\n<style>" + std::string(css) +
       "</style></head><body>\n";
  o += "<h1>Incident analysis: " + e(r.container_name.empty() ? r.container_id : r.container_name) +
       "</h1>\n<table>\n";
  o += "<tr><th>container</th><td class=\"mono\">" + e(r.container_id) + "</td></tr>\n";
  o += "<tr><th>image</th><td>" + e(r.image) + "</td></tr>\n";
  o += "<tr><th>case</th><td>" + e(r.case_id) + "</td></tr>\n";
  o += "<tr><th>bundle</th><td class=\"mono\">" + e(r.bundle) + "</td></tr>\n";
  const std::string status = r.verification.status;
  o += "<tr><th>integrity</th><td class=\"" + std::string(status == "verified" ? "ok" : "bad") +
       "\">" + e(status) + " (" + std::to_string(r.verification.files_checked) + " files checked)";
  for (const auto& p : r.verification.problems) o += "<br>" + e(p);
  o += "</td></tr>\n</table>\n";

  // Findings by severity.
  std::map<analysis::severity, std::size_t> counts;
  for (const auto& f : r.findings) ++counts[f.level];
  o += "<h2 id=\"findings\">Findings</h2>\n<p>";
  for (auto s : {analysis::severity::high, analysis::severity::medium, analysis::severity::low,
                 analysis::severity::info}) {
    o += "<span class=\"sev " + std::string(analysis::to_string(s)) + "\">" +
         analysis::to_string(s) + ": " + std::to_string(counts[s]) + "</span> ";
  }
  o += "</p>\n";
  for (auto s : {analysis::severity::high, analysis::severity::medium, analysis::severity::low,
                 analysis::severity::info}) {
    if (!counts[s]) continue;
    o += "<h3>" + std::string(analysis::to_string(s)) +
         "</h3>\n<table><tr><th>category</th>"
         "<th>kind</th><th>what</th><th>source</th><th>time</th></tr>\n";
    for (const auto& f : r.findings) {
      if (f.level != s) continue;
      o += "<tr class=\"" + std::string(analysis::to_string(s)) + "\"><td>" + e(f.category) +
           "</td><td>" + e(f.kind) + "</td><td>" + e(f.summary) + "</td><td class=\"mono\">" +
           e(f.source) + "</td><td class=\"mono\">" + e(f.time) + "</td></tr>\n";
    }
    o += "</table>\n";
  }

  // Coverage.
  o += "<h2 id=\"coverage\">Coverage: what was and was not collected</h2>\n<table><tr>"
       "<th>artifact</th><th>collected</th><th>status</th><th>reason</th><th>what a gap hides"
       "</th></tr>\n";
  for (const auto& c : r.coverage) {
    const bool collected = c.status == "present" || c.status == "partial";
    o += "<tr><td>" + e(c.artifact) + "</td><td class=\"" + (collected ? "ok" : "bad") + "\">" +
         (collected ? "collected" : "not collected") + "</td><td>" + e(c.status) + "</td><td>" +
         e(c.reason) + "</td><td>" + e(c.hides) + "</td></tr>\n";
  }
  o += "</table>\n";

  o += "<h2 id=\"timeline-section\">Timeline</h2>\n" + timeline_svg(r);
  o += placement_section(r);

  if (!r.warnings.empty()) {
    o += "<h2>Warnings</h2>\n<ul>\n";
    for (const auto& w : r.warnings) o += "<li>" + e(w) + "</li>\n";
    o += "</ul>\n";
  }
  o += "<p><small>Written by ir-analyze. Every string from the container is shown escaped; "
       "times are UTC.</small></p>\n</body></html>\n";
  return o;
}

}  // namespace forensic::formats
