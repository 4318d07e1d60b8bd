#pragma once
// One collection of evidence from one container, as `ir-collect` does it, for SOC code to
// call directly.
//
// Artifacts are taken most volatile first: engine inspect (container, image, image history),
// processes from the host's /proc, key files read inside the container's root, network state,
// logs; then, with the container paused (unless asked otherwise), the memory of each of its
// processes when asked ("memory": ELF cores, proc/memory.hpp), a bodyfile of MAC times
// (before anything reads a file), the filesystem diff, what is mounted into the container
// besides its image (mounts.hpp), the filesystem export and an image archive made from it (an
// engine commit, removed again unless asked to keep it, when there is no export). A capture
// (capture_seconds > 0) starts before everything and stops after everything. Each artifact streams
// to disk hashed on the fly; a failed artifact is recorded in the manifest and the others still
// run, but an interruption, a full disk or an unwritable bundle abort the whole collection, leaving
// only a
// `.partial` directory (see bundle.hpp). The container is unpaused on every path.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json_fwd.hpp>
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
  std::string operator_name;           // empty: $SUDO_USER, the login uid's name, $USER, or the uid
  bool pause = true;                   // pause for diff/export/commit
  bool leave_paused = false;           // keep it paused afterwards (containment)
  std::chrono::seconds capture{0};     // > 0: capture on its host veths for at least this long
  std::vector<std::string> artifacts;  // empty: every artifact but "capture" and "memory"
  std::optional<archive_format> archive;
  std::filesystem::path sign_key;  // Ed25519 PEM private key: writes manifest.json.sig
  bool mount_copy_system = false;  // also copy bind mounts of host system paths (mounts.hpp)
  std::uint64_t mount_limit = 1024ull << 20;  // file content copied per mount, bytes
  // Process memory read into memory/<pid>.core, all processes together, bytes; mappings past
  // it are listed as skipped and the artifact fails (custody note).
  std::uint64_t memory_limit = 4096ull << 20;
  // The committed image is deleted from the engine once saved in the bundle (nothing the
  // collection creates outlives it), unless this keeps it there.
  bool keep_commit_image = false;
  std::string tool_name = "ir-collect";
  // Where the per-container lock lives (collection_lock.hpp): a second collection of the same
  // container is refused with collection_locked before anything is written or paused.
  std::filesystem::path lock_dir = "/run/forensic";
  const std::atomic<bool>* cancel_flag = nullptr;  // SIGINT/SIGTERM
};

struct collect_progress {
  std::string step;         // artifact name
  std::uint64_t bytes = 0;  // so far in this step
  double seconds = 0;       // since the step started
  bool finished = false;    // the step is over
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
  std::vector<not_collected_record> not_collected;  // host-side artifacts refused
  bool complete() const noexcept { return failures.empty() && not_collected.empty(); }
};

class collector {
 public:
  collector(engine::client& engine, collect_options options);
  void on_progress(progress_callback callback) { progress_ = std::move(callback); }
  // Throws forensic::error for what aborts a collection (unknown container: nothing is
  // written; interruption, disk full: only `<name>.partial` remains), and collection_locked
  // (collection_lock.hpp) when another collection of the container is running: nothing is
  // written or paused.
  collect_result run();

 private:
  engine::client& engine_;
  collect_options options_;
  progress_callback progress_;
};

// The `forensic.collect/1` document `ir-collect --json` prints: schema, bundle,
// container {id, name}, pause, artifacts [{artifact, path, size, sha256}],
// failures [{artifact, error, message}], complete, and archive {path, sha256} when packed.
nlohmann::json to_json(const collect_result& r);

}  // namespace forensic::evidence
