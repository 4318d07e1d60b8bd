#include "forensic/analysis/ioc.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "analysis/addresses.hpp"
#include "forensic/error.hpp"

namespace forensic::analysis {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool is_sha256(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c));
         });
}

bool is_domain(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

// The type a bare value has.
std::string infer_type(std::string_view v) {
  if (detail::parse_address(v)) return "ip";
  if (detail::is_cidr(v)) return "cidr";
  if (is_sha256(v)) return "sha256";
  if (is_domain(v) && v.find('.') != std::string_view::npos) return "domain";
  return {};
}

bool valid_as(const std::string& type, std::string_view v) {
  if (type == "ip") return detail::parse_address(v).has_value();
  if (type == "cidr") return detail::is_cidr(v);
  if (type == "sha256") return is_sha256(v);
  if (type == "domain") return is_domain(v);
  return false;
}

}  // namespace

ioc_set ioc_set::parse(std::string_view text) {
  ioc_set set;
  int number = 0;
  std::istringstream in{std::string(text)};
  std::string raw;
  while (std::getline(in, raw)) {
    ++number;
    std::string_view line = raw;
    std::string note;
    if (auto hash = line.find('#'); hash != std::string_view::npos) {
      note = std::string(trim(line.substr(hash + 1)));
      line = line.substr(0, hash);
    }
    line = trim(line);
    if (line.empty()) continue;
    std::string type, value;
    auto space = line.find_first_of(" \t");
    if (space != std::string_view::npos) {
      type = lower(line.substr(0, space));
      value = std::string(trim(line.substr(space + 1)));
      if (type == "ipv4" || type == "ipv6" || type == "address") type = "ip";
      if (type == "hash" || type == "sha-256") type = "sha256";
    } else {
      value = std::string(line);
      type = infer_type(value);
    }
    if (!set.add(type, value, note, number)) {
      set.errors_.push_back("line " + std::to_string(number) + ": cannot read '" +
                            std::string(line) + "' (expected ip, cidr, domain or sha256)");
    }
  }
  return set;
}

bool ioc_set::add(std::string type, std::string value, std::string note, int line) {
  if (type == "domain") {
    value = lower(value);
    if (!value.empty() && value.back() == '.') value.pop_back();
  }
  if (type == "sha256") value = lower(value);
  if (type == "ip") {
    if (auto a = detail::parse_address(value)) value = a->to_string();
  }
  if (type.empty() || !valid_as(type, value)) return false;
  entries_.push_back({std::move(type), std::move(value), std::move(note), line});
  return true;
}

const ioc_entry* ioc_set::match_address(std::string_view text) const {
  auto a = detail::parse_address(text);
  if (!a) return nullptr;
  for (const auto& e : entries_) {
    if (e.type == "ip") {
      if (detail::parse_address(e.value) == a) return &e;
    } else if (e.type == "cidr" && detail::cidr_contains(e.value, *a)) {
      return &e;
    }
  }
  return nullptr;
}

const ioc_entry* ioc_set::match_domain(std::string_view name) const {
  std::string n = lower(name);
  if (!n.empty() && n.back() == '.') n.pop_back();
  for (const auto& e : entries_) {
    if (e.type != "domain") continue;
    if (n == e.value || (n.size() > e.value.size() && n.ends_with(e.value) &&
                         n[n.size() - e.value.size() - 1] == '.')) {
      return &e;
    }
  }
  return nullptr;
}

const ioc_entry* ioc_set::match_sha256(std::string_view hex) const {
  const std::string h = lower(hex);
  for (const auto& e : entries_) {
    if (e.type == "sha256" && e.value == h) return &e;
  }
  return nullptr;
}

bool ioc_set::has_hashes() const noexcept {
  return std::any_of(entries_.begin(), entries_.end(),
                     [](const ioc_entry& e) { return e.type == "sha256"; });
}

}  // namespace forensic::analysis
