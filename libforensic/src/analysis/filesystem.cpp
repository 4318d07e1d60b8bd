// Filesystem findings: the engine's diff says what changed; the export (read as data with
// libarchive, never extracted) says what those files are: type, mode, owner, mtime, content.
#include <archive.h>
#include <archive_entry.h>

#include <map>
#include <memory>

#include "analysis/capture_reader.hpp"
#include "analysis/context.hpp"
#include "analysis/json_fields.hpp"
#include "analysis/path_rules.hpp"
#include "forensic/io/sha256.hpp"
#include "forensic/io/time.hpp"
#include "forensic/text/terminal.hpp"
#include "io/c_handles.hpp"

namespace forensic::analysis::detail {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using io::archive_reader;

constexpr const char* diff_file = "engine/diff.json";
constexpr const char* export_file = "filesystem/export.tar";
constexpr const char* mounts_file = "mounts/mounts.json";
constexpr const char* deep_paths_file = "filesystem/deep-paths.tar";  // see evidence/deep_paths.hpp
constexpr std::size_t head_size = 4096;

struct entry_info {
  bool regular = true;
  unsigned mode = 0;
  std::int64_t size = 0, uid = 0, gid = 0;
  std::string mtime;
  std::string head;
  std::string sha256;
  std::string link_target;
};

// Diff paths that are files: a path that is the parent of another changed path is a directory
// Docker lists because something under it changed.
std::map<std::string, int> read_diff(context& c) {
  std::map<std::string, int> out;
  auto doc = c.json_file(diff_file);
  if (!doc || !doc->is_array()) return out;
  for (const auto& item : *doc) {
    if (!item.is_object() || !item.contains("Path") || !item["Path"].is_string()) continue;
    // A Kind that is not a number reads as 0, "changed": the path is in the diff, so something
    // changed, and nothing says whether it was added or deleted.
    out[normal_path(item["Path"].get<std::string>())] = static_cast<int>(integer(item, "Kind", 0));
  }
  for (auto it = out.begin(); it != out.end();) {
    auto next = std::next(it);
    if (next != out.end() && next->first.starts_with(it->first + "/") && it->second != 2) {
      it = out.erase(it);
    } else {
      it = next;
    }
  }
  return out;
}

bool worth_reading(const std::string& path, bool in_diff, unsigned mode) {
  path_facts f{path, in_diff, false, true, true, mode, {}};
  return in_diff || (mode & 06000) || !classify_path(f).empty();
}

// Walks a tar of the bundle once. Entries worth it (all of them with `read_all`) are read
// (head kept, content hashed); the rest are skipped, or hashed when the IOC list has hashes.
std::map<std::string, entry_info> read_tar(context& c, const char* tar_file,
                                           const std::map<std::string, int>& diff, bool read_all) {
  std::map<std::string, entry_info> out;
  auto path = c.file(tar_file);
  if (!path) return out;
  archive_reader a{archive_read_new()};
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  if (archive_read_open_filename(a.get(), path->c_str(), 1 << 16) != ARCHIVE_OK) {
    c.report.warnings.push_back(std::string(tar_file) + ": " + archive_error_string(a.get()));
    return out;
  }
  const bool hash_all = c.options.iocs.has_hashes();
  archive_entry* e = nullptr;
  int rc = ARCHIVE_OK;
  while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
    const char* raw = archive_entry_pathname(e);
    if (!raw) continue;
    const std::string p = normal_path(raw);
    const unsigned mode = archive_entry_perm(e) | (archive_entry_mode(e) & 07000);
    const bool regular = archive_entry_filetype(e) == AE_IFREG;
    auto d = diff.find(p);
    const bool in_diff = d != diff.end() && d->second != 2;
    if (!read_all && !worth_reading(p, in_diff, mode) && !(hash_all && regular)) continue;
    entry_info info;
    info.regular = regular;
    info.mode = mode;
    info.size = archive_entry_size(e);
    info.uid = archive_entry_uid(e);
    info.gid = archive_entry_gid(e);
    info.mtime = io::format_rfc3339(archive_entry_mtime(e), archive_entry_mtime_nsec(e),
                                    io::time_precision::micros);
    if (const char* l = archive_entry_symlink(e)) info.link_target = l;
    if (regular) {
      io::sha256 h;
      char buf[1 << 16];
      la_ssize_t got = 0;
      while ((got = archive_read_data(a.get(), buf, sizeof buf)) > 0) {
        const auto n = static_cast<std::size_t>(got);
        if (info.head.size() < head_size) {
          info.head.append(buf, std::min(n, head_size - info.head.size()));
        }
        h.update(std::string_view(buf, n));
      }
      if (got < 0) {
        c.report.warnings.push_back(std::string(tar_file) + ": " + p + ": " +
                                    archive_error_string(a.get()));
      }
      info.sha256 = h.hex_digest();
    }
    out[p] = std::move(info);
  }
  if (rc != ARCHIVE_EOF) {
    c.report.warnings.push_back(
        std::string(tar_file) + ": read stopped early: " +
        (archive_error_string(a.get()) ? archive_error_string(a.get()) : "unknown error"));
  }
  return out;
}

std::string printable_head(const std::string& head) {
  std::string s = head.substr(0, 512);
  if (s.find('\0') != std::string::npos) return {};  // binary
  return s;
}

// `mount`: the destination of the copied mount the file is in, whose files the rules see as
// added (path_facts.in_diff) though no diff names them.
void report_path(context& c, const std::string& p, const path_facts& facts, const entry_info* info,
                 const std::string& source, const std::string& mount = {}) {
  for (const auto& hit : classify_path(facts)) {
    finding f;
    f.category = "filesystem";
    f.kind = hit.kind;
    f.level = hit.level;
    f.summary = hit.why + ": " + p;
    f.source = source;
    f.details = {{"path", p}};
    if (!mount.empty()) {
      f.details["mount"] = mount;
    } else if (facts.in_diff) {
      f.details["diff"] = facts.added ? "added" : "changed";
    }
    if (info) {
      f.time = info->mtime;
      f.details["mode"] = info->mode;
      f.details["size"] = info->size;
      f.details["uid"] = info->uid;
      f.details["mtime"] = info->mtime;
      if (!info->sha256.empty()) f.details["sha256"] = info->sha256;
      if (!info->link_target.empty()) f.details["link_target"] = info->link_target;
      auto text = printable_head(info->head);
      if (!text.empty() &&
          (hit.kind == "persistence" || hit.kind == "temp_file" || hit.kind == "shell_history" ||
           hit.kind == "account_change" || hit.kind == "web_script")) {
        f.details["content_head"] = text;
      }
    }
    c.add(std::move(f));
  }
}

// Entries nested beyond PATH_MAX, which the collector took from the host because the engine's
// export and diff cannot reach them: nobody puts files there by accident.
void analyze_deep_paths(context& c) {
  std::error_code ec;
  // Absent in almost every bundle: not worth listing as a missing file.
  if (!fs::exists(fs::symlink_status(c.root / deep_paths_file, ec))) return;
  constexpr std::size_t shown_at_most = 20;
  std::size_t files = 0;
  for (const auto& [p, info] : read_tar(c, deep_paths_file, {}, true)) {
    if (const auto* hit = c.options.iocs.match_sha256(info.sha256); hit && !info.sha256.empty()) {
      c.ioc_hit(*hit, info.sha256, "file " + p + " beyond PATH_MAX", deep_paths_file, info.mtime);
    }
    c.ioc_scan_text(printable_head(info.head), "file " + p, deep_paths_file, info.mtime);
    if (!info.regular && info.link_target.empty()) continue;  // directories, nodes
    if (++files > shown_at_most) continue;
    json details = {{"path", p},         {"path_bytes", p.size()}, {"mode", info.mode},
                    {"size", info.size}, {"uid", info.uid},        {"mtime", info.mtime}};
    if (!info.sha256.empty()) details["sha256"] = info.sha256;
    if (!info.link_target.empty()) details["link_target"] = info.link_target;
    if (auto text = printable_head(info.head); !text.empty()) details["content_head"] = text;
    c.add({"filesystem", "beyond_path_max", severity::high,
           "nested as deep as PATH_MAX, where the engine's export and diff cannot be relied on (" +
               std::to_string(p.size()) + "-byte path): " + p,
           deep_paths_file, info.mtime, details});
  }
  if (files > shown_at_most) {
    c.report.warnings.push_back(std::to_string(files - shown_at_most) + " more files in " +
                                deep_paths_file + " are not listed as findings");
  }
}

// The mounts the export leaves out (tmpfs, /dev/shm, volumes, binds), each copied to its own tar
// listed in mounts/mounts.json. None of their files comes from the image and the engine's diff
// never names them, so each one goes through the rules as a file the diff lists as added: a
// binary in a tmpfs, a crontab in a volume are as telling there as in the writable layer.
void analyze_mounts(context& c) {
  std::error_code ec;
  // Bundles of collectors before mounts were copied have none: not worth listing as missing.
  if (!fs::exists(fs::symlink_status(c.root / mounts_file, ec))) return;
  auto doc = c.json_file(mounts_file);
  if (!doc || !doc->is_object()) return;
  const json mounts = doc->value("mounts", json::array());
  if (!mounts.is_array()) return;
  for (const auto& m : mounts) {
    const std::string tar = text(m, "tar");
    // Only tars inside mounts/ of this bundle: the list is data, not a path to follow.
    if (tar.empty() || !tar.starts_with("mounts/") || tar.find("..") != std::string::npos ||
        tar.find('/', 7) != std::string::npos) {
      continue;
    }
    const std::string destination = normal_path(text(m, "destination"));
    for (const auto& [entry, info] : read_tar(c, tar.c_str(), {}, true)) {
      // Entries are named like the export's ("dev/shm/x"); a tar of the mount's root alone
      // ("x") is placed under its destination.
      std::string p = entry;
      if (destination != "/" && p != destination && !p.starts_with(destination + "/")) {
        p = normal_path(destination + p);
      }
      path_facts f{p, true, true, true, info.regular, info.mode, info.head};
      report_path(c, p, f, &info, tar, destination);
      c.ioc_scan_text(printable_head(info.head), "file " + p, tar, info.mtime);
      if (const auto* hit = c.options.iocs.match_sha256(info.sha256); hit && !info.sha256.empty()) {
        c.ioc_hit(*hit, info.sha256, "file " + p + " in the mount " + destination, tar, info.mtime);
      }
    }
  }
}

}  // namespace

void analyze_filesystem(context& c) {
  const auto diff = read_diff(c);
  const auto entries = read_tar(c, export_file, diff, false);
  const bool have_export = c.file(export_file).has_value();
  const std::string both = std::string(diff_file) + " + " + export_file;
  for (const auto& [p, kind] : diff) {
    auto it = entries.find(p);
    const entry_info* info = it == entries.end() ? nullptr : &it->second;
    if (kind == 2) {
      if (p.starts_with("/var/log/")) {
        c.add({"filesystem",
               "log_deleted",
               severity::medium,
               "log file deleted: " + p,
               diff_file,
               "",
               {{"path", p}}});
      }
      continue;
    }
    path_facts f{p,
                 true,
                 kind == 1,
                 info != nullptr,
                 info ? info->regular : true,
                 info ? info->mode : 0u,
                 info ? info->head : std::string()};
    report_path(c, p, f, info, info ? both : diff_file);
    if (info) {
      c.event(info->mtime, "file_mtime", (kind == 1 ? "added " : "changed ") + p, both,
              time_source::attacker_settable, {{"path", p}});
      c.ioc_scan_text(printable_head(info->head), "file " + p, export_file, info->mtime);
    }
  }
  // Without a diff, the export alone still shows files in odd places and setuid bits.
  for (const auto& [p, info] : entries) {
    if (diff.count(p)) continue;
    if (diff.empty() || (info.regular && (info.mode & 06000))) {
      // With a diff, an unchanged file only matters for its setuid/setgid bit (low).
      path_facts f{p, false, false, true, info.regular, info.mode, info.head};
      report_path(c, p, f, &info, export_file);
    }
    if (const auto* hit = c.options.iocs.match_sha256(info.sha256); hit && !info.sha256.empty()) {
      c.ioc_hit(*hit, info.sha256, "file " + p + " in the export", export_file, info.mtime);
    }
  }
  for (const auto& [p, info] : entries) {
    if (!diff.count(p) || info.sha256.empty()) continue;
    if (const auto* hit = c.options.iocs.match_sha256(info.sha256)) {
      c.ioc_hit(*hit, info.sha256, "file " + p + " in the export", export_file, info.mtime);
    }
  }
  analyze_deep_paths(c);
  analyze_mounts(c);
  if (!diff.empty() && !have_export) {
    c.report.warnings.push_back(
        "no filesystem export: findings come from the diff alone "
        "(no modes, hashes or contents)");
  }
}

}  // namespace forensic::analysis::detail
