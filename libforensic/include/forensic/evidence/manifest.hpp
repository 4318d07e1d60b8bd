#pragma once
// What a bundle says about itself: manifest.json (who, what, when, from where, with which
// digests, and what failed) and custody.jsonl (every step and every engine request, in order,
// with the SHA-256 of each response). Field names are in docs/bundle.md.
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "forensic/engine/pause_guard.hpp"
#include "forensic/evidence/bundle.hpp"

namespace forensic::engine {
struct exchange_record;
}

namespace forensic::evidence {

inline constexpr const char* bundle_schema = "forensic.bundle/1";

struct artifact_record {
  std::string artifact;  // the --artifacts name it belongs to: "export", "processes", ...
  std::string path;      // bundle-relative
  std::uint64_t size = 0;
  std::string sha256;
  std::string started;  // RFC 3339 UTC
  std::string finished;
  std::string source;  // "GET /v1.41/containers/<id>/export", "/proc/1234/maps", ...
};

struct failure_record {
  std::string artifact;
  std::string error;    // errc name: "engine_error", "not_found", "unavailable"
  std::string message;  // as the library reported it
};

// A host-side artifact left out on purpose (the engine's pid could not be proven to be the
// container's, ...): nothing was read, as opposed to a failure_record (tried and failed).
struct not_collected_record {
  std::string artifact;
  std::string reason;
};

// The lock that keeps a second collection of the same container out (collection_lock.hpp).
struct lock_record {
  std::string path;
  bool held = false;
  std::string reason;  // why it was not held, when it was not
};

// The host's clock when the collection started: every time in the bundle was read from it.
struct clock_state {
  std::string source;                    // current clocksource: "kvm-clock", "tsc", ...
  std::optional<bool> synchronized;      // the kernel's NTP state says synchronised
  std::optional<long long> esterror_us;  // estimated error of the clock, microseconds
  std::optional<long long> maxerror_us;  // maximum error of the clock, microseconds
  std::string error;                     // what could not be read, and why
};

// Who collected. The audit login uid is set at login and kept across su and sudo, so it names
// the person behind a root shell; $SUDO_USER is what sudo says.
struct operator_record {
  std::uint32_t uid = 0;  // real uid of the collector
  std::optional<std::uint32_t> login_uid;
  std::string login_name;  // the login uid's user name on this host
  std::string sudo_user;
  std::string given;  // the name given by the caller (--operator)
};

// A digest computed while a file streamed in (the capture), against the one SHA256SUMS lists.
struct streamed_digest {
  std::string path;
  std::string streamed_sha256;
  std::string sha256;  // as hashed into SHA256SUMS
};

struct manifest {
  std::string tool;
  std::string tool_version;
  std::string host;
  std::string kernel;
  std::string engine_version;
  std::string engine_api_version;
  std::string engine_endpoint;
  std::string operator_name;
  operator_record operator_identity;
  clock_state clock;
  std::string case_id;
  std::string container_id;
  std::string container_name;
  std::string image;
  std::string image_id;
  std::string started;
  std::string finished;
  // "paused for the filesystem steps", "not paused (--no-pause)", "was already paused", ...
  std::string pause;
  engine::pause_record pause_detail;
  lock_record lock;
  std::vector<artifact_record> artifacts;
  std::vector<failure_record> failures;
  std::vector<not_collected_record> not_collected;
  std::vector<streamed_digest> streamed_digests;
  std::string signature_key_sha256;  // the Ed25519 key that signs manifest.json; "" unsigned
};

nlohmann::json to_json(const manifest& m);

// custody.jsonl: one JSON object per line, appended in the order things happen, each with a
// sequence number.
class custody_log {
 public:
  explicit custody_log(partial_bundle& bundle);
  ~custody_log();
  void step(const std::string& name, const std::string& started, const std::string& finished,
            const std::string& outcome, const std::string& detail = {});
  void request(const engine::exchange_record& r);
  void note(const std::string& text);
  // Completes the file (it is then part of the bundle); later entries are dropped.
  void close();

 private:
  void append(const nlohmann::json& entry);
  std::unique_ptr<evidence_file> file_;
  std::uint64_t sequence_ = 0;
};

}  // namespace forensic::evidence
