// libyara behind forensic::analysis::yara_rules. Its handles are owned here (and nowhere else):
// yara.h defines macros that would leak into every file including io/c_handles.hpp.
#include <fcntl.h>
#include <yara.h>

#include <algorithm>
#include <cstdio>

#include "forensic/analysis/yara.hpp"
#include "forensic/error.hpp"
#include "forensic/io/unique_fd.hpp"

namespace forensic::analysis {
namespace {

namespace fs = std::filesystem;

template <auto Fn>
struct yr_deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    if (p) Fn(p);
  }
};
using yr_compiler_ptr = std::unique_ptr<YR_COMPILER, yr_deleter<&yr_compiler_destroy>>;
using yr_rules_ptr = std::unique_ptr<YR_RULES, yr_deleter<&yr_rules_destroy>>;

// libyara's global state is reference counted by the library itself: one count per rule set.
struct yara_library {
  yara_library() {
    if (yr_initialize() != ERROR_SUCCESS) throw error(errc::io, "libyara failed to initialise");
  }
  ~yara_library() { yr_finalize(); }
  yara_library(const yara_library&) = delete;
  yara_library& operator=(const yara_library&) = delete;
};

struct compile_errors {
  std::vector<std::string> lines;
};

void on_compiler_message(int level, const char* file, int line, const YR_RULE*, const char* message,
                         void* user) {
  if (level != YARA_ERROR_LEVEL_ERROR) return;  // warnings (slow strings) do not stop a rule
  static_cast<compile_errors*>(user)->lines.push_back(std::string(file ? file : "?") + ":" +
                                                      std::to_string(line) + ": " + message);
}

std::vector<fs::path> rule_files(const fs::path& where) {
  std::error_code ec;
  if (!fs::is_directory(where, ec)) return {where};
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(where, ec)) {
    const auto ext = e.path().extension();
    if ((ext == ".yar" || ext == ".yara") && e.is_regular_file(ec)) out.push_back(e.path());
  }
  if (ec)
    throw error(errc::io, "cannot list YARA rules in " + where.string() + ": " + ec.message());
  if (out.empty()) {
    throw error(errc::not_found, "no *.yar or *.yara file in " + where.string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

int on_scan_message(YR_SCAN_CONTEXT* context, int message, void* data, void* user) {
  if (message != CALLBACK_MSG_RULE_MATCHING) return CALLBACK_CONTINUE;
  const auto* rule = static_cast<YR_RULE*>(data);
  yara_match m;
  m.rule = rule->identifier;
  m.rule_namespace = rule->ns && rule->ns->name ? rule->ns->name : "";
  const char* tag = nullptr;
  yr_rule_tags_foreach(rule, tag) { m.tags.emplace_back(tag); }
  bool first = true;
  const YR_STRING* string = nullptr;
  yr_rule_strings_foreach(rule, string) {
    const YR_MATCH* match = nullptr;
    yr_string_matches_foreach(context, string, match) {
      const auto at = static_cast<std::uint64_t>(match->base + match->offset);
      if (first || at < m.offset) {
        m.offset = at;
        m.string_id = string->identifier;
        first = false;
      }
    }
  }
  static_cast<std::vector<yara_match>*>(user)->push_back(std::move(m));
  return CALLBACK_CONTINUE;
}

void check_scan(int rc, const std::string& what) {
  if (rc == ERROR_SUCCESS) return;
  throw error(errc::io, "YARA scan of " + what + " failed (libyara error " + std::to_string(rc) +
                            (rc == ERROR_SCAN_TIMEOUT ? ": timeout" : "") + ")");
}

constexpr int scan_timeout_seconds = 120;

}  // namespace

struct yara_rules::impl {
  yara_library library;  // first in, last out
  yr_rules_ptr rules;
  std::size_t count = 0;
  std::vector<std::string> sources;
};

yara_rules::yara_rules(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
yara_rules::yara_rules(yara_rules&&) noexcept = default;
yara_rules& yara_rules::operator=(yara_rules&&) noexcept = default;
yara_rules::~yara_rules() = default;

yara_rules yara_rules::compile(const fs::path& file_or_directory) {
  auto p = std::make_unique<impl>();
  YR_COMPILER* raw = nullptr;
  if (yr_compiler_create(&raw) != ERROR_SUCCESS) throw error(errc::io, "libyara: out of memory");
  yr_compiler_ptr compiler(raw);
  compile_errors errors;
  yr_compiler_set_callback(compiler.get(), &on_compiler_message, &errors);
  for (const auto& file : rule_files(file_or_directory)) {
    io::unique_fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("cannot open YARA rules " + file.string(), errno);
    // After an error libyara's compiler cannot take more input: stop at the first bad file.
    if (yr_compiler_add_fd(compiler.get(), fd.get(), nullptr, file.c_str()) != 0) break;
    p->sources.push_back(file.string());
  }
  if (!errors.lines.empty()) {
    // One line (tools print errors on one line): "a.yar:3: ...; b.yar:7: ...".
    std::string text = "YARA rules do not compile: ";
    for (std::size_t k = 0; k < errors.lines.size(); ++k) text += (k ? "; " : "") + errors.lines[k];
    throw error(errc::parse, text);
  }
  YR_RULES* rules = nullptr;
  if (yr_compiler_get_rules(compiler.get(), &rules) != ERROR_SUCCESS) {
    throw error(errc::io, "libyara could not build the rules (out of memory)");
  }
  p->rules.reset(rules);
  const YR_RULE* rule = nullptr;
  yr_rules_foreach(rules, rule) { ++p->count; }
  return yara_rules(std::move(p));
}

std::vector<yara_match> yara_rules::scan(std::span<const std::byte> data) const {
  std::vector<yara_match> out;
  check_scan(yr_rules_scan_mem(impl_->rules.get(),
                               reinterpret_cast<const std::uint8_t*>(data.data()), data.size(),
                               SCAN_FLAGS_FAST_MODE, &on_scan_message, &out, scan_timeout_seconds),
             "a buffer");
  return out;
}

std::vector<yara_match> yara_rules::scan_file(const fs::path& file) const {
  std::vector<yara_match> out;
  check_scan(yr_rules_scan_file(impl_->rules.get(), file.c_str(), SCAN_FLAGS_FAST_MODE,
                                &on_scan_message, &out, scan_timeout_seconds),
             file.string());
  return out;
}

std::size_t yara_rules::rule_count() const noexcept { return impl_->count; }
const std::vector<std::string>& yara_rules::sources() const noexcept { return impl_->sources; }

}  // namespace forensic::analysis
