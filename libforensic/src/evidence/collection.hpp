#pragma once
// Private to the collector: the state one collection shares between its steps.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "forensic/engine/client.hpp"
#include "forensic/engine/containers.hpp"
#include "forensic/engine/events.hpp"
#include "forensic/evidence/bundle.hpp"
#include "forensic/evidence/collector.hpp"
#include "forensic/evidence/manifest.hpp"

namespace forensic::evidence::detail {

struct collection {
  collection(engine::client& e, const collect_options& o, const progress_callback& p)
      : engine(e), options(o), progress(p) {}

  engine::client& engine;
  const collect_options& options;
  const progress_callback& progress;
  engine::container target;
  std::string raw_inspect;  // as the engine gave it, fetched while resolving
  std::unique_ptr<partial_bundle> bundle;
  std::unique_ptr<custody_log> custody;
  manifest record;
  // Exchanges observed before the custody log existed (resolution), written first.
  std::vector<engine::exchange_record> early_exchanges;
  std::shared_ptr<void> capture;  // the running capture session, when asked
  std::chrono::steady_clock::time_point capture_started;
  bool observing = true;  // false while a large body streams unobserved
  // Whether this host's /proc/<target.pid> is the container's (attribution.hpp): unset until
  // first asked, then "" when proven or the reason it is not.
  std::optional<std::string> host_refusal;
  std::vector<engine::event> early_events;  // the first pass of the "events" artifact

  // Streams a GET into one bundle file, recording it as `artifact`. The client's observer is
  // left out of this exchange (it would hash the body a second time on the transfer path);
  // the custody entry carries the file's digest, which is the body's.
  file_record stream_to_file(const std::string& artifact, const std::string& path,
                             const engine::request& req);
  // Records a finished file as part of `artifact`.
  void add_artifact(const std::string& artifact, const file_record& f, const std::string& started,
                    const std::string& source);
  // A byte_sink wrapper that reports progress of `step` about 4 times a second.
  std::unique_ptr<io::byte_sink> with_progress(const std::string& step, io::byte_sink& next);
  std::string source_of(const engine::request& req);
  void observe(const engine::exchange_record& r);
};

// The steps, each writing its files and failing with forensic::error.
void collect_image(collection& c);
void collect_processes(collection& c);
void collect_files(collection& c);
void collect_network(collection& c);
// The kernel-against-engine findings about the container (collect_hunt.cpp).
void collect_hunt(collection& c);
void collect_logs(collection& c);
void collect_diff(collection& c);
// An ELF core per process of the container and memory/memory.json (collect_memory.cpp).
void collect_memory(collection& c);
void collect_export(collection& c);
void collect_commit(collection& c);
// The engine's history (events): taken before the first step, while the engine's bounded
// event memory still holds what the collection's own events would push out of it, and again
// after the last, so that the collection's pause, export and commit are in it too; written
// merged by the second call (collect_history.cpp).
void take_early_events(collection& c);
void collect_events(collection& c);
// The capture wraps every other step: started first, stopped last (after at least
// options.capture), its file adopted into the bundle.
void start_capture(collection& c);
void stop_capture(collection& c);

// Safe for a file name and an image reference: [A-Za-z0-9_.-], others become '_'.
std::string file_name_safe(std::string_view text);

}  // namespace forensic::evidence::detail
