#include "forensic/evidence/verify.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "forensic/error.hpp"
#include "forensic/evidence/archive.hpp"
#include "forensic/evidence/bundle.hpp"
#include "forensic/evidence/manifest.hpp"
#include "forensic/evidence/signature.hpp"
#include "forensic/io/hashing_sink.hpp"
#include "forensic/io/sha256.hpp"
#include "io/c_handles.hpp"

namespace forensic::evidence {
namespace fs = std::filesystem;
namespace {

struct file_facts {
  std::uint64_t size = 0;
  std::string sha256;
};

// What a bundle holds, however it is stored: the digest of every file, and the text of the
// three small files that describe the others.
struct bundle_contents {
  std::map<std::string, file_facts> files;
  std::map<std::string, std::string> documents;  // SHA256SUMS, manifest.json, manifest.json.sig
};

bool is_document(const std::string& path) {
  return path == "SHA256SUMS" || path == "manifest.json" || path == "manifest.json.sig";
}

// manifest.json is read as the bundle's holder left it: a field of the wrong type is a finding
// (the artifact does not match), never an exception out of nlohmann::json::value().
std::string text_field(const nlohmann::json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool has_suffix(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A SHA256SUMS path naming something outside the bundle ("../x", "/etc/passwd"): a record
// that was tampered with, not a missing file.
bool leaves_bundle(const std::string& path) {
  const fs::path p = fs::path(path).lexically_normal();
  return p.is_absolute() || p.empty() || *p.begin() == ".." || path.find('\\') != std::string::npos;
}

// Streams into the hash, keeping a copy of the content only for the describing documents.
void absorb(bundle_contents& c, const std::string& path,
            const std::function<void(io::byte_sink&)>& body) {
  io::string_sink copy(64u << 20);
  io::hashing_sink hasher(is_document(path) ? &copy : nullptr);
  body(hasher);
  hasher.finish();
  c.files[path] = {hasher.bytes(), hasher.hex_digest()};
  if (is_document(path)) c.documents[path] = copy.take();
}

void read_directory(const fs::path& dir, bundle_contents& c, verify_report& r) {
  if (has_suffix(dir.filename().string(), ".partial")) {
    r.problems.push_back("an interrupted collection (.partial directory): never complete");
  }
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::end(it); ++it) {
    const std::string rel = fs::relative(it->path(), dir).generic_string();
    const auto status = it->symlink_status();
    if (fs::is_directory(status)) continue;
    if (!fs::is_regular_file(status)) {
      r.extra.push_back(rel + " (not a regular file)");
      continue;
    }
    absorb(c, rel, [&](io::byte_sink& sink) {
      const std::string data_path = it->path().string();
      // Streamed in blocks: exports are large.
      const io::c_file f(std::fopen(data_path.c_str(), "rb"));
      if (!f) throw_errno("cannot open " + data_path, errno);
      std::vector<std::byte> block(1 << 20);
      while (std::size_t n = std::fread(block.data(), 1, block.size(), f.get())) {
        sink.write({block.data(), n});
      }
      if (std::ferror(f.get())) throw_errno("cannot read " + data_path, errno);
    });
  }
}

void read_packed(const fs::path& file, bundle_contents& c, verify_report& r) {
  std::string top;
  read_archive(file, [&](const std::string& entry, long long size, const archive_body& body) {
    const auto slash = entry.find('/');
    const std::string first = entry.substr(0, slash);
    if (top.empty()) top = first;
    if (slash == std::string::npos || first != top) {
      r.problems.push_back("entry outside the bundle directory: " + entry);
      return;
    }
    const std::string rel = entry.substr(slash + 1);
    if (size < 0) {
      r.extra.push_back(rel + " (not a regular file)");
      return;
    }
    absorb(c, rel, body);
  });
  if (has_suffix(top, ".partial")) {
    r.problems.push_back("an interrupted collection (.partial directory): never complete");
  }
  // The detached checksum written by pack_bundle, when it travelled along.
  fs::path detached = file;
  detached += ".sha256";
  if (fs::exists(detached)) {
    const io::c_file f(std::fopen(detached.c_str(), "rb"));
    char buf[65] = {};
    const bool read = f && std::fread(buf, 1, 64, f.get()) == 64;
    if (!read || io::sha256_file(file) != std::string(buf, 64)) {
      r.problems.push_back("archive does not match " + detached.filename().string());
    }
  }
}

void compare(const bundle_contents& c, verify_report& r) {
  std::set<std::string> missing, modified;
  const auto doc = [&](const char* name) -> const std::string* {
    auto it = c.documents.find(name);
    return it == c.documents.end() ? nullptr : &it->second;
  };
  std::map<std::string, std::string> sums;
  if (const auto* text = doc("SHA256SUMS")) {
    try {
      sums = parse_sha256sums(*text);
    } catch (const error& e) {
      r.problems.push_back(e.what());
    }
  } else {
    r.problems.push_back("no SHA256SUMS");
  }
  for (const auto& [path, digest] : sums) {
    if (leaves_bundle(path)) {
      r.problems.push_back(path + ": path leaves the bundle; not opened");
      continue;
    }
    auto it = c.files.find(path);
    if (it == c.files.end())
      missing.insert(path);
    else if (it->second.sha256 != digest)
      modified.insert(path);
  }
  for (const auto& [path, facts] : c.files) {
    if (path != "SHA256SUMS" && !sums.count(path)) r.extra.push_back(path);
  }

  const std::string* manifest_text = doc("manifest.json");
  if (!manifest_text) {
    r.problems.push_back("no manifest.json");
  } else {
    auto m = nlohmann::json::parse(*manifest_text, nullptr, false);
    if (!m.is_object() || text_field(m, "schema") != bundle_schema || !m.contains("artifacts") ||
        !m["artifacts"].is_array()) {
      r.problems.push_back("manifest.json is not a forensic.bundle/1 manifest");
    } else {
      if (m.contains("failures") && m["failures"].is_array()) {
        for (const auto& f : m["failures"]) {
          if (!f.is_object()) continue;
          const auto text = [&](const char* key) {
            return f.contains(key) && f[key].is_string() ? f[key].get<std::string>() : "";
          };
          r.not_collected.push_back(text("artifact") + ": " + text("message"));
        }
      }
      if (m.contains("not_collected") && m["not_collected"].is_array()) {
        for (const auto& n : m["not_collected"]) {
          if (!n.is_object()) continue;
          r.not_collected.push_back(text_field(n, "artifact") + ": " + text_field(n, "reason"));
        }
      }
      for (const auto& a : m["artifacts"]) {
        if (!a.is_object()) continue;
        const std::string path = text_field(a, "path");
        const std::string digest = text_field(a, "sha256");
        const auto size = a.find("size");
        auto it = c.files.find(path);
        if (it == c.files.end()) {
          missing.insert(path);
        } else if (it->second.sha256 != digest || size == a.end() || !size->is_number_unsigned() ||
                   size->get<std::uint64_t>() != it->second.size) {
          modified.insert(path);
        }
        if (auto s = sums.find(path); s != sums.end() && s->second != digest) {
          r.problems.push_back("manifest.json and SHA256SUMS disagree on " + path);
        } else if (s == sums.end() && it != c.files.end()) {
          r.problems.push_back("manifest.json lists " + path + " but SHA256SUMS does not");
        }
      }
    }
  }
  r.missing.assign(missing.begin(), missing.end());
  r.modified.assign(modified.begin(), modified.end());
  r.files_checked = c.files.size();
}

}  // namespace

verify_report verify_bundle(const fs::path& bundle, const verify_options& options) {
  verify_report r;
  r.bundle = bundle.string();
  bundle_contents c;
  struct stat st {};
  if (::stat(bundle.c_str(), &st) != 0) throw_errno("cannot open bundle " + bundle.string(), errno);
  if (S_ISDIR(st.st_mode)) {
    // Neither record at its top (and not an interrupted collection): not a bundle at all, said
    // at once instead of hashing whatever tree it is.
    const std::string name = bundle.filename().empty() ? bundle.parent_path().filename().string()
                                                       : bundle.filename().string();
    if (!has_suffix(name, ".partial") && !fs::exists(bundle / "SHA256SUMS") &&
        !fs::exists(bundle / "manifest.json")) {
      r.not_a_bundle = true;
      r.problems.push_back(
          "not an evidence bundle: neither SHA256SUMS nor manifest.json in it; "
          "nothing was hashed");
      return r;
    }
    read_directory(bundle, c, r);
  } else
    read_packed(bundle, c, r);
  compare(c, r);

  auto sig = c.documents.find("manifest.json.sig");
  r.signature_present = sig != c.documents.end();
  auto manifest = c.documents.find("manifest.json");
  if (manifest != c.documents.end()) {
    const auto m = nlohmann::json::parse(manifest->second, nullptr, false);
    if (m.is_object() && m.contains("signature") && m["signature"].is_object()) {
      r.manifest_key_sha256 = text_field(m["signature"], "public_key_sha256");
    }
  }
  if (!options.public_key.empty()) {
    r.signature_checked = true;
    r.signature_valid = r.signature_present && manifest != c.documents.end() &&
                        verify_ed25519(options.public_key, manifest->second, sig->second);
    r.signature_key_sha256 = ed25519_public_key_sha256(options.public_key);
    if (!r.signature_present) r.problems.push_back("no manifest.json.sig to check the key against");
    if (r.signature_valid && !r.manifest_key_sha256.empty() &&
        r.manifest_key_sha256 != r.signature_key_sha256) {
      r.problems.push_back("manifest.json names signing key sha256 " + r.manifest_key_sha256 +
                           " but the signature verified under key sha256 " +
                           r.signature_key_sha256);
    }
  }
  return r;
}

nlohmann::json to_json(const verify_report& r) {
  return {{"schema", "forensic.verify/1"},
          {"bundle", r.bundle},
          {"ok", r.ok()},
          {"not_a_bundle", r.not_a_bundle},
          {"files_checked", r.files_checked},
          {"missing", r.missing},
          {"extra", r.extra},
          {"modified", r.modified},
          {"problems", r.problems},
          {"not_collected", r.not_collected},
          {"signature",
           {{"present", r.signature_present},
            {"checked", r.signature_checked},
            {"valid", r.signature_valid},
            {"key_sha256", r.signature_key_sha256},
            {"manifest_key_sha256", r.manifest_key_sha256}}}};
}

}  // namespace forensic::evidence
