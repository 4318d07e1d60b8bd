// YARA over the bundle: tar members one at a time from memory, process cores as files.
#include <archive.h>
#include <archive_entry.h>
#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "analysis/context.hpp"
#include "forensic/analysis/yara.hpp"
#include "forensic/io/unique_fd.hpp"
#include "io/c_handles.hpp"

namespace forensic::analysis::detail {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct yara_tally {
  std::size_t files = 0, members = 0, truncated = 0, cores = 0, matches = 0;
  std::vector<std::string> scanned;
};

void add_match(context& c, const yara_match& m, const std::string& source, json where,
               const std::string& place) {
  std::string tags;
  for (const auto& t : m.tags) tags += (tags.empty() ? "" : ",") + t;
  json d = {{"rule", m.rule},     {"namespace", m.rule_namespace},
            {"tags", m.tags},     {"artifact", source},
            {"offset", m.offset}, {"string", m.string_id}};
  d.update(where);
  c.add({"ioc", "yara_match", severity::high,
         "YARA rule " + m.rule + (tags.empty() ? "" : " [" + tags + "]") + " matched " + place,
         source, "", d});
}

// Reads the current member into `buf`, at most `cap` bytes; true when it was longer.
bool read_member(archive* a, std::vector<std::byte>& buf, std::size_t cap, std::string& error) {
  buf.clear();
  char chunk[1 << 16];
  for (;;) {
    const la_ssize_t got = archive_read_data(a, chunk, sizeof chunk);
    if (got < 0) {
      error = archive_error_string(a) ? archive_error_string(a) : "read error";
      return false;
    }
    if (got == 0) return false;
    const auto n = static_cast<std::size_t>(got);
    const std::size_t room = cap - buf.size();
    const auto* bytes = reinterpret_cast<const std::byte*>(chunk);
    buf.insert(buf.end(), bytes, bytes + std::min(n, room));
    if (n > room) return true;  // the rest is skipped by the next header read
  }
}

void scan_tar(context& c, const yara_rules& rules, const std::string& relative, yara_tally& tally) {
  auto path = c.file(relative);
  if (!path) return;
  io::archive_reader a{archive_read_new()};
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  if (archive_read_open_filename(a.get(), path->c_str(), 1 << 16) != ARCHIVE_OK) {
    c.report.warnings.push_back(relative + ": " + archive_error_string(a.get()));
    return;
  }
  ++tally.files;
  tally.scanned.push_back(relative);
  std::vector<std::byte> buf;
  archive_entry* e = nullptr;
  int rc = ARCHIVE_OK;
  const std::size_t cap = c.options.yara_member_cap;
  while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
    const char* raw = archive_entry_pathname(e);
    if (!raw || archive_entry_filetype(e) != AE_IFREG) continue;
    const std::string p = normal_path(raw);
    std::string error;
    const bool truncated = read_member(a.get(), buf, cap, error);
    if (!error.empty()) c.report.warnings.push_back(relative + ": " + p + ": " + error);
    ++tally.members;
    if (truncated) {
      ++tally.truncated;
      c.report.warnings.push_back("YARA: " + relative + ": " + p + ": only its first " +
                                  std::to_string(cap) + " bytes were scanned (member cap)");
    }
    for (const auto& m : rules.scan(buf)) {
      ++tally.matches;
      add_match(c, m, relative,
                {{"path", p}, {"scanned_bytes", buf.size()}, {"truncated", truncated}},
                p + " in " + relative);
    }
  }
  if (rc != ARCHIVE_EOF) {
    c.report.warnings.push_back(
        relative + ": read stopped early (YARA scan): " +
        (archive_error_string(a.get()) ? archive_error_string(a.get()) : "unknown error"));
  }
}

// The virtual address a core file offset holds: the PT_LOAD segment containing it. nullopt for
// a note or a header, or a file that is not a 64-bit ELF core.
std::optional<std::uint64_t> core_address(const fs::path& core, std::uint64_t offset) {
  io::unique_fd fd(::open(core.c_str(), O_RDONLY | O_CLOEXEC));
  Elf64_Ehdr eh{};
  if (!fd || ::pread(fd.get(), &eh, sizeof eh, 0) != static_cast<ssize_t>(sizeof eh)) return {};
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 65000) {
    return {};
  }
  for (unsigned k = 0; k < eh.e_phnum; ++k) {
    Elf64_Phdr ph{};
    if (::pread(fd.get(), &ph, sizeof ph,
                static_cast<off_t>(eh.e_phoff + k * sizeof(Elf64_Phdr))) !=
        static_cast<ssize_t>(sizeof ph)) {
      return {};
    }
    if (ph.p_type == PT_LOAD && offset >= ph.p_offset && offset - ph.p_offset < ph.p_filesz) {
      return ph.p_vaddr + (offset - ph.p_offset);
    }
  }
  return {};
}

void scan_cores(context& c, const yara_rules& rules, yara_tally& tally) {
  std::error_code ec;
  const fs::path dir = c.root / "memory";
  if (!fs::is_directory(fs::symlink_status(dir, ec))) return;
  std::vector<std::string> cores;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".core") cores.push_back("memory/" + e.path().filename().string());
  }
  std::sort(cores.begin(), cores.end());
  for (const auto& relative : cores) {
    auto path = c.file(relative);  // regular files only: a link is not followed
    if (!path) continue;
    ++tally.cores;
    tally.scanned.push_back(relative);
    for (const auto& m : rules.scan_file(*path)) {
      ++tally.matches;
      json where = {{"path", nullptr}};
      std::string place = relative + " at offset " + std::to_string(m.offset);
      if (auto address = core_address(*path, m.offset)) {
        char hex[32];
        std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(*address));
        where["address"] = hex;
        place += " (address " + std::string(hex) + ")";
      }
      add_match(c, m, relative, where, place);
    }
  }
}

}  // namespace

void analyze_yara(context& c) {
  if (!c.options.yara) return;
  const yara_rules& rules = *c.options.yara;
  yara_tally tally;
  scan_tar(c, rules, "filesystem/export.tar", tally);
  scan_tar(c, rules, "filesystem/deep-paths.tar", tally);
  std::error_code ec;
  std::vector<std::string> mounts;
  for (const auto& e : fs::directory_iterator(c.root / "mounts", ec)) {
    if (e.path().extension() == ".tar") mounts.push_back("mounts/" + e.path().filename().string());
  }
  std::sort(mounts.begin(), mounts.end());
  for (const auto& m : mounts) scan_tar(c, rules, m, tally);
  scan_cores(c, rules, tally);
  c.report.yara = {{"rules", rules.rule_count()},
                   {"rule_files", rules.sources()},
                   {"scanned", tally.scanned},
                   {"members_scanned", tally.members},
                   {"members_truncated", tally.truncated},
                   {"member_cap_bytes", c.options.yara_member_cap},
                   {"cores_scanned", tally.cores},
                   {"matches", tally.matches}};
}

}  // namespace forensic::analysis::detail
