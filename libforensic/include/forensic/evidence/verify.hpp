#pragma once
// Checking a bundle (a directory or an archive made by pack_bundle) against its own records.
//
// Every file is re-hashed and compared with SHA256SUMS and with manifest.json; a file that is
// listed but absent is "missing", present but unlisted is "extra", listed with another digest
// or size is "modified". A `.partial` directory (an interrupted collection) never passes. With
// a public key, manifest.json.sig must be a valid Ed25519 signature of manifest.json.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace forensic::evidence {

struct verify_options {
  std::filesystem::path public_key;  // empty: the signature (if any) is not checked
};

struct verify_report {
  std::string bundle;  // directory or archive checked
  // A directory with neither SHA256SUMS nor manifest.json (and not a .partial one): nothing
  // was hashed, `problems` says so.
  bool not_a_bundle = false;
  std::uint64_t files_checked = 0;
  std::vector<std::string> missing;
  std::vector<std::string> extra;
  std::vector<std::string> modified;
  std::vector<std::string> problems;  // structural: no SHA256SUMS, bad manifest, .partial...
  // Artifacts the manifest records as not collected ("export: <why>"). They do not fail the
  // check (the bundle is an exact record of what could be taken) but are always shown, so a
  // sealed bundle with a gap is never mistaken for a whole one.
  std::vector<std::string> not_collected;
  bool signature_present = false;
  bool signature_checked = false;
  bool signature_valid = false;
  // SHA-256 of the raw Ed25519 public key given to check the signature, and of the one the
  // manifest says signed it ("" when it names none). Both named, an auditor sees which key
  // vouched for the bundle; a signature valid under another key than the named one is a problem.
  std::string signature_key_sha256;
  std::string manifest_key_sha256;

  bool ok() const {
    return missing.empty() && extra.empty() && modified.empty() && problems.empty() &&
           (!signature_checked || signature_valid);
  }
};

// Never throws for what it finds wrong in the bundle (that goes in the report); throws
// forensic::error only when the bundle cannot be read at all or the key is unusable.
verify_report verify_bundle(const std::filesystem::path& bundle,
                            const verify_options& options = {});

// The `forensic.verify/1` document `ir-verify --json` prints: schema, bundle,
// ok, not_a_bundle, files_checked, missing, extra, modified, problems, not_collected and
// signature {present, checked, valid}.
nlohmann::json to_json(const verify_report& r);

}  // namespace forensic::evidence
