// Indicators from threat-intelligence exchange formats: STIX 2.1 bundles and MISP events. Each
// indicator is normalised exactly as a line of the text format, so the hits are the same.
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "analysis/addresses.hpp"
#include "forensic/analysis/ioc.hpp"
#include "forensic/error.hpp"

namespace forensic::analysis {
namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  if (!j.is_object()) return {};
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The host of a URL ("http://user@evil.example:8080/x" -> "evil.example", "[2001:db8::1]"
// -> "2001:db8::1"); empty when there is none.
std::string url_host(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find_first_of("/?#"));
  if (const auto at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  if (url.starts_with('[')) {
    const auto close = url.find(']');
    return close == std::string_view::npos ? std::string() : std::string(url.substr(1, close - 1));
  }
  return std::string(url.substr(0, url.find(':')));
}

// The indicator type of an address or a name: ip, cidr or domain.
std::string host_type(const std::string& host) {
  if (detail::parse_address(host)) return "ip";
  if (detail::is_cidr(host)) return "cidr";
  return "domain";
}

struct comparison {
  std::string object_path;  // "ipv4-addr:value", "file:hashes.'SHA-256'"
  std::string op;           // "=", "ISSUBSET"
  std::string value;
};

// A quoted STIX string starting at pattern[k] == '\'': its text (escapes resolved), k moved
// past the closing quote.
std::string quoted(std::string_view pattern, std::size_t& k) {
  std::string out;
  for (++k; k < pattern.size() && pattern[k] != '\''; ++k) {
    if (pattern[k] == '\\' && k + 1 < pattern.size()) ++k;
    out += pattern[k];
  }
  ++k;
  return out;
}

// The comparisons of a STIX pattern ("[a:b = 'v' OR c:d = 'w']"), read by a small lexer: paths
// (with a quoted part, as hashes.'SHA-256'), operators, quoted values, AND/OR. `conjunction` is
// set when an AND joins any of them (such a pattern cannot be matched one value at a time).
std::vector<comparison> comparisons(std::string_view pattern, bool& conjunction) {
  std::vector<comparison> out;
  conjunction = false;
  comparison pending;
  const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  const auto ends_word = [&](char c) {
    return is_space(c) || c == '[' || c == ']' || c == '(' || c == ')' || c == '\'' || c == '=' ||
           c == '!' || c == '<' || c == '>';
  };
  for (std::size_t k = 0; k < pattern.size();) {
    const char c = pattern[k];
    if (is_space(c) || c == '[' || c == ']' || c == '(' || c == ')') {
      ++k;
    } else if (c == '\'') {
      std::string value = quoted(pattern, k);
      if (!pending.object_path.empty() && !pending.op.empty()) {
        pending.value = std::move(value);
        out.push_back(std::move(pending));
      }
      pending = {};
    } else if (c == '=' || c == '!' || c == '<' || c == '>') {
      const auto end = pattern.find_first_not_of("=!<>", k);
      pending.op = std::string(pattern.substr(k, end - k));
      k = end == std::string_view::npos ? pattern.size() : end;
    } else {
      std::string word;
      while (k < pattern.size()) {
        if (pattern[k] == '\'' && word.ends_with('.')) {
          word += "'" + quoted(pattern, k) + "'";
        } else if (ends_word(pattern[k])) {
          break;
        } else {
          word += pattern[k++];
        }
      }
      if (word == "AND") {
        conjunction = true;
      } else if (word.find(':') != std::string::npos) {
        pending = {word, {}, {}};
      } else if (word != "OR" && word != "NOT") {
        pending.op = word;  // ISSUBSET, LIKE, MATCHES, IN...
      }
    }
  }
  return out;
}

// The text-format type a STIX comparison gives, and its value; empty type when unusable.
std::pair<std::string, std::string> stix_indicator(const comparison& c) {
  std::string path = c.object_path;
  for (auto& ch : path) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (c.op != "=" && c.op != "ISSUBSET") return {};
  if (path == "ipv4-addr:value" || path == "ipv6-addr:value") {
    return {c.value.find('/') != std::string::npos ? "cidr" : "ip", c.value};
  }
  if (c.op != "=") return {};
  if (path == "domain-name:value") return {"domain", c.value};
  if (path == "url:value") {
    const std::string host = url_host(c.value);
    return {host.empty() ? "" : host_type(host), host};
  }
  if (path == "file:hashes.'sha-256'" || path == "file:hashes.sha256" ||
      path == "file:hashes.\"sha-256\"") {
    return {"sha256", c.value};
  }
  return {};
}

}  // namespace

ioc_set ioc_set::parse_stix(std::string_view json_text) {
  ioc_set set;
  set.format_ = "stix";
  const json doc = json::parse(json_text, nullptr, false);
  if (!doc.is_object() || str(doc, "type") != "bundle" || !doc.contains("objects") ||
      !doc["objects"].is_array()) {
    set.errors_.push_back(
        "not a STIX 2.1 bundle (an object with \"type\": \"bundle\" and "
        "\"objects\")");
    return set;
  }
  int position = 0;
  for (const auto& o : doc["objects"]) {
    ++position;
    if (str(o, "type") != "indicator") continue;
    const std::string id = str(o, "id");
    const std::string pattern_type = str(o, "pattern_type");
    if (!pattern_type.empty() && pattern_type != "stix") {
      set.errors_.push_back("indicator " + id + ": pattern_type " + pattern_type +
                            " is not read (only stix patterns)");
      continue;
    }
    std::string note = str(o, "name");
    if (note.empty()) note = str(o, "description");
    note = note.empty() ? "STIX " + id : note + " (STIX " + id + ")";
    bool conjunction = false;
    const auto parts = comparisons(str(o, "pattern"), conjunction);
    if (conjunction) {
      set.errors_.push_back("indicator " + id +
                            ": an AND pattern cannot be matched one value at a time; skipped");
      continue;
    }
    bool any = false;
    for (const auto& c : parts) {
      auto [type, value] = stix_indicator(c);
      if (!type.empty() && set.add(type, value, note, position)) {
        any = true;
      } else {
        set.errors_.push_back("indicator " + id + ": " + c.object_path + " " + c.op + " '" +
                              c.value + "' is not an indicator this format matches");
      }
    }
    if (!any && parts.empty()) {
      set.errors_.push_back("indicator " + id + ": no comparison in its pattern");
    }
  }
  return set;
}

ioc_set ioc_set::parse_misp(std::string_view json_text) {
  ioc_set set;
  set.format_ = "misp";
  const json doc = json::parse(json_text, nullptr, false);
  std::vector<const json*> events;
  const auto take = [&](const json& item) {
    if (item.is_object() && item.contains("Event") && item["Event"].is_object()) {
      events.push_back(&item["Event"]);
    }
  };
  if (doc.is_object() && doc.contains("response") && doc["response"].is_array()) {
    for (const auto& item : doc["response"]) take(item);
  } else if (doc.is_array()) {
    for (const auto& item : doc) take(item);
  } else {
    take(doc);
  }
  if (events.empty()) {
    set.errors_.push_back(
        "not a MISP event (an object with \"Event\", a list of them, or "
        "{\"response\": [...]})");
    return set;
  }
  int position = 0;
  const auto attribute = [&](const json& a, const std::string& info) {
    ++position;
    const std::string type = str(a, "type"), value = str(a, "value");
    std::string note = str(a, "comment");
    note = note.empty() ? "MISP " + info : note + " (MISP " + info + ")";
    const auto split = [&](char sep) {
      const auto bar = value.find(sep);
      return std::pair{value.substr(0, bar),
                       bar == std::string::npos ? std::string() : value.substr(bar + 1)};
    };
    std::vector<std::pair<std::string, std::string>> wanted;
    if (type == "ip-src" || type == "ip-dst") {
      wanted.emplace_back(host_type(value), value);
    } else if (type == "ip-src|port" || type == "ip-dst|port") {
      const auto [ip, port] = split('|');
      wanted.emplace_back(host_type(ip), ip);
    } else if (type == "domain" || type == "hostname") {
      wanted.emplace_back("domain", value);
    } else if (type == "domain|ip") {
      const auto [name, ip] = split('|');
      wanted.emplace_back("domain", name);
      wanted.emplace_back(host_type(ip), ip);
    } else if (type == "url") {
      const std::string host = url_host(value);
      wanted.emplace_back(host.empty() ? "" : host_type(host), host);
    } else if (type == "sha256") {
      wanted.emplace_back("sha256", value);
    } else if (type == "filename|sha256") {
      wanted.emplace_back("sha256", split('|').second);
    } else {
      set.errors_.push_back("attribute " + std::to_string(position) + ": type " + type +
                            " is not matched (ip, domain, url and sha256 types are)");
      return;
    }
    for (const auto& [t, v] : wanted) {
      if (t.empty() || !set.add(t, v, note, position)) {
        set.errors_.push_back("attribute " + std::to_string(position) + ": cannot read " + type +
                              " '" + value + "'");
      }
    }
  };
  for (const json* e : events) {
    std::string info = str(*e, "info");
    const std::string id = str(*e, "uuid");
    info = "event " + (id.empty() ? std::string("?") : id) + (info.empty() ? "" : ": " + info);
    if (auto it = e->find("Attribute"); it != e->end() && it->is_array()) {
      for (const auto& a : *it) attribute(a, info);
    }
    if (auto it = e->find("Object"); it != e->end() && it->is_array()) {
      for (const auto& o : *it) {
        if (!o.is_object()) continue;
        if (auto a = o.find("Attribute"); a != o.end() && a->is_array()) {
          for (const auto& x : *a) attribute(x, info);
        }
      }
    }
  }
  return set;
}

ioc_set ioc_set::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw error(errc::io, "cannot read IOC file " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || (s[first] != '{' && s[first] != '[')) return parse(s);
  const json doc = json::parse(s, nullptr, false);
  if (doc.is_object() && str(doc, "type") == "bundle") return parse_stix(s);
  if (doc.is_object() || doc.is_array()) return parse_misp(s);
  return parse(s);
}

}  // namespace forensic::analysis
