#pragma once
// One collection of evidence from one container, as `ir-collect` does it, for SOC code to
// call directly.
//
// Artifacts are taken most volatile first: engine inspect (container, image, image history),
// processes from the host's /proc, key files read inside the container's root, network state,
// logs; then, with the container paused (unless asked otherwise), the filesystem diff, the
// filesystem export and a commit saved as an image archive (the committed image is then removed
// from the engine unless asked to keep it). A capture (capture_seconds > 0)
// starts before everything and stops after everything. Each artifact streams to disk hashed
// on the fly; a failed artifact is recorded in the manifest and the others still run, but an
// interruption, a full disk or an unwritable bundle abort the whole collection, leaving only a
// `.partial` directory (see bundle.hpp). The container is unpaused on every path.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "forensic/evidence/archive.hpp"
#include "forensic/evidence/manifest.hpp"

namespace forensic::engine {
class client;
}

namespace forensic::evidence {

// The artifact names --artifacts accepts, in collection order.
const std::vector<std::string>& artifact_names();

struct collect_options {
  std::string container;  // id, name or unique id prefix
  std::filesystem::path out_dir = ".";
  std::string case_id = "case";
  std::string operator_name;  // empty: $SUDO_USER, the login uid's name, $USER, or the uid
  bool pause = true;           // pause for diff/export/commit
  bool leave_paused = false;   // keep it paused afterwards (containment)
  std::chrono::seconds capture{0};  // > 0: capture on its host veths for at least this long
  std::vector<std::string> artifacts;  // empty: every artifact but "capture"
  std::optional<archive_format> archive;
  std::filesystem::path sign_key;    // Ed25519 PEM private key: writes manifest.json.sig
  // The committed image is deleted from the engine once saved in the bundle (nothing the
  // collection creates outlives it), unless this keeps it there.
  bool keep_commit_image = false;
  std::string tool_name = "ir-collect";
  const std::atomic<bool>* cancel_flag = nullptr;  // SIGINT/SIGTERM
};

struct collect_progress {
  std::string step;          // artifact name
  std::uint64_t bytes = 0;   // so far in this step
  double seconds = 0;        // since the step started
  bool finished = false;     // the step is over
};
using progress_callback = std::function<void(const collect_progress&)>;

struct collect_result {
  std::filesystem::path bundle;  // the committed directory
  std::optional<packed_archive> archive;
  std::string container_id;
  std::string container_name;
  std::string pause_note;
  std::vector<artifact_record> artifacts;
  std::vector<failure_record> failures;
  bool complete() const noexcept { return failures.empty(); }
};

class collector {
 public:
  collector(engine::client& engine, collect_options options);
  void on_progress(progress_callback callback) { progress_ = std::move(callback); }
  // Throws forensic::error for what aborts a collection (unknown container: nothing is
  // written; interruption, disk full: only `<name>.partial` remains).
  collect_result run();

 private:
  engine::client& engine_;
  collect_options options_;
  progress_callback progress_;
};

}  // namespace forensic::evidence
