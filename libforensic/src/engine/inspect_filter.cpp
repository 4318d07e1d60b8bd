// Which parts of an inspect document the container model reads; the rest is dropped before
// or while parsing instead of being built into a tree and destroyed.
#include "engine/inspect_filter.hpp"

#include <array>
#include <cctype>
#include <memory>
#include <string>
#include <string_view>

namespace forensic::engine {
namespace {

using nlohmann::json;

// Must list every key parse_container_inspect reads (tests/unit compare both parses), and what
// the state files add (engine/state_files.hpp): the record's "ID" and State.Running.
constexpr std::array<std::string_view, 13> top_level = {
    "Id",   "Name",    "Config",          "HostConfig", "State",           "Image", "Path",
    "Args", "Created", "NetworkSettings", "Mounts",     "AppArmorProfile", "ID"};
constexpr std::array<std::string_view, 5> in_config = {"Image", "Tty", "Hostname", "Labels",
                                                       "User"};
constexpr std::array<std::string_view, 11> in_host_config = {
    "Privileged", "CapAdd",     "CapDrop",        "SecurityOpt", "NetworkMode", "PidMode",
    "IpcMode",    "UsernsMode", "ReadonlyRootfs", "PidsLimit",   "Memory"};
constexpr std::array<std::string_view, 6> in_state = {"StartedAt", "FinishedAt", "Status",
                                                      "Pid",       "ExitCode",   "Running"};
constexpr std::array<std::string_view, 2> in_network_settings = {"Networks", "Ports"};

template <std::size_t N>
bool listed(const std::array<std::string_view, N>& keys, std::string_view key) {
  for (auto k : keys) {
    if (k == key) return true;
  }
  return false;
}

// Keys at depth 2 are filtered by the top-level key they sit under; everything deeper (network
// entries, labels, mounts) is kept whole.
bool keep_nested(std::string_view parent, std::string_view key) {
  if (parent == "Config") return listed(in_config, key);
  if (parent == "HostConfig") return listed(in_host_config, key);
  if (parent == "State") return listed(in_state, key);
  if (parent == "NetworkSettings") return listed(in_network_settings, key);
  return true;
}

bool is_filtered_parent(std::string_view key) {
  return key == "Config" || key == "HostConfig" || key == "State" || key == "NetworkSettings";
}

// One pass over a document: members kept by the rules above are appended to `out` as they
// are written, everything else is only checked and stepped over.
class skimmer {
 public:
  skimmer(std::string_view in, std::string& out) : s_(in), out_(out) {}

  // `host_config`: the document is HostConfig itself (the engine's hostconfig.json).
  bool document(bool host_config = false) {
    space();
    if (!(host_config ? host_config_object() : top_object())) return false;
    space();
    return p_ == s_.size();
  }

 private:
  static constexpr int max_depth = 256;

  bool at(char c) const { return p_ < s_.size() && s_[p_] == c; }

  void space() {
    while (p_ < s_.size() &&
           (s_[p_] == ' ' || s_[p_] == '\n' || s_[p_] == '\r' || s_[p_] == '\t')) {
      ++p_;
    }
  }

  // At '"': steps past the closing quote. Escapes are checked for form, not decoded.
  bool string() {
    ++p_;
    while (p_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[p_]);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return false;
      if (c != '\\') {
        ++p_;
        continue;
      }
      if (++p_ >= s_.size()) return false;
      const char e = s_[p_++];
      if (e == 'u') {
        for (int k = 0; k < 4; ++k, ++p_) {
          if (p_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[p_]))) return false;
        }
      } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
        return false;
      }
    }
    return false;
  }

  bool digits() {
    const std::size_t from = p_;
    while (p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '9') ++p_;
    return p_ > from;
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  bool number() {
    if (at('-')) ++p_;
    if (at('0')) {
      ++p_;
    } else if (!digits()) {
      return false;
    }
    if (at('.')) {
      ++p_;
      if (!digits()) return false;
    }
    if (at('e') || at('E')) {
      ++p_;
      if (at('+') || at('-')) ++p_;
      if (!digits()) return false;
    }
    return true;
  }

  bool word(std::string_view w) {
    if (s_.substr(p_, w.size()) != w) return false;
    p_ += w.size();
    return true;
  }

  // Steps over any value.
  bool value(int depth) {
    if (p_ >= s_.size() || depth > max_depth) return false;
    switch (s_[p_]) {
      case '"':
        return string();
      case '{':
      case '[': {
        const bool object = s_[p_] == '{';
        const char close = object ? '}' : ']';
        ++p_;
        space();
        if (at(close)) {
          ++p_;
          return true;
        }
        for (;;) {
          if (object) {
            if (!at('"') || !string()) return false;
            space();
            if (!at(':')) return false;
            ++p_;
            space();
          }
          if (!value(depth + 1)) return false;
          space();
          if (at(',')) {
            ++p_;
            space();
            continue;
          }
          if (!at(close)) return false;
          ++p_;
          return true;
        }
      }
      case 't':
        return word("true");
      case 'f':
        return word("false");
      case 'n':
        return word("null");
      default:
        return number();
    }
  }

  // At '"' of a key: steps over it and gives its text (nullopt when it holds an escape, which
  // the rules would have to decode to compare).
  std::optional<std::string_view> key() {
    if (!at('"')) return std::nullopt;
    const std::size_t from = p_ + 1;
    if (!string()) return std::nullopt;
    const std::string_view k = s_.substr(from, p_ - 1 - from);
    if (k.find('\\') != std::string_view::npos) return std::nullopt;
    space();
    if (!at(':')) return std::nullopt;
    ++p_;
    space();
    return k;
  }

  enum class handled { no, yes, failed };

  // The members of an object that `keep(key)` accepts; `nested(key)` filters the value of a
  // kept member one level further, or answers handled::no to have it copied whole.
  template <class Keep, class Nested>
  bool members(Keep&& keep, Nested&& nested) {
    ++p_;  // '{'
    out_ += '{';
    bool first = true;
    space();
    if (at('}')) {
      ++p_;
      out_ += '}';
      return true;
    }
    for (;;) {
      const auto k = key();
      if (!k) return false;
      if (keep(*k)) {
        if (!first) out_ += ',';
        first = false;
        out_ += '"';
        out_ += *k;
        out_ += "\":";
        const handled h = nested(*k);
        if (h == handled::failed) return false;
        if (h == handled::no) {
          const std::size_t from = p_;
          if (!value(2)) return false;
          out_.append(s_.substr(from, p_ - from));
        }
      } else if (!value(2)) {
        return false;
      }
      space();
      if (at(',')) {
        ++p_;
        space();
        continue;
      }
      if (!at('}')) return false;
      ++p_;
      out_ += '}';
      return true;
    }
  }

  bool top_object() {
    if (!at('{')) return false;
    const auto copy_whole = [](std::string_view) { return handled::no; };
    return members([](std::string_view k) { return listed(top_level, k); },
                   [&](std::string_view parent) {
                     if (!is_filtered_parent(parent) || !at('{')) return handled::no;
                     const auto keep = [parent](std::string_view k) {
                       return keep_nested(parent, k);
                     };
                     return members(keep, copy_whole) ? handled::yes : handled::failed;
                   });
  }

  bool host_config_object() {
    if (!at('{')) return false;
    return members([](std::string_view k) { return keep_nested("HostConfig", k); },
                   [](std::string_view) { return handled::no; });
  }

  std::string_view s_;
  std::string& out_;
  std::size_t p_ = 0;
};

}  // namespace

std::optional<std::string> skim_inspect(std::string_view body) {
  std::string out;
  out.reserve(body.size() / 2);
  if (!skimmer(body, out).document()) return std::nullopt;
  return out;
}

json parse_inspect_body(std::string_view body) {
  if (auto skimmed = skim_inspect(body)) {
    auto doc = json::parse(*skimmed, nullptr, false);
    if (!doc.is_discarded()) return doc;  // (kept parts can still fail: UTF-8, a huge number)
  }
  return json::parse(body, inspect_fields_filter(), false);
}

json parse_host_config_body(std::string_view body) {
  std::string skimmed;
  skimmed.reserve(body.size() / 2);
  if (skimmer(body, skimmed).document(true)) {
    auto doc = json::parse(skimmed, nullptr, false);
    if (!doc.is_discarded()) return doc;
  }
  return json::parse(
      body,
      [](int depth, json::parse_event_t event, json& parsed) {
        return depth != 1 || event != json::parse_event_t::key || !parsed.is_string() ||
               keep_nested("HostConfig", parsed.get_ref<const std::string&>());
      },
      false);
}

json::parser_callback_t inspect_fields_filter() {
  // The callback sees keys without their path: the last top-level key tells where we are. One
  // callback serves a whole batch, so each document's start resets it; a document that is not
  // an object (the list call in the same batch) passes whole.
  struct state {
    bool object_at_top = false;
    std::string parent;
  };
  auto at = std::make_shared<state>();
  return [at](int depth, json::parse_event_t event, json& parsed) {
    if (depth == 0 &&
        (event == json::parse_event_t::object_start || event == json::parse_event_t::array_start)) {
      at->object_at_top = event == json::parse_event_t::object_start;
      at->parent.clear();
      return true;
    }
    if (!at->object_at_top || event != json::parse_event_t::key || !parsed.is_string()) {
      return true;
    }
    const auto& key = parsed.get_ref<const std::string&>();
    if (depth == 1) {
      at->parent = key;
      return listed(top_level, key);
    }
    if (depth == 2) return keep_nested(at->parent, key);
    return true;
  };
}

}  // namespace forensic::engine
