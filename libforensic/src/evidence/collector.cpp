#include "forensic/evidence/collector.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "evidence/collect_mounts.hpp"
#include "evidence/collection.hpp"
#include "evidence/custody_facts.hpp"
#include "forensic/engine/operations.hpp"
#include "forensic/engine/pause_guard.hpp"
#include "forensic/engine/requests.hpp"
#include "forensic/error.hpp"
#include "forensic/evidence/collection_lock.hpp"
#include "forensic/evidence/signature.hpp"
#include "forensic/io/time.hpp"
#include "forensic/version.hpp"

namespace forensic::evidence {
namespace {

using detail::collection;
using step_fn = void (*)(collection&);

struct step {
  const char* name;
  step_fn run;
  bool needs_pause;  // filesystem steps: taken while the container is frozen
};

// Most volatile first. "inspect" is taken while resolving the container (before anything is
// written), "capture" wraps all the others.
constexpr step steps[] = {
    {"image", detail::collect_image, false},  {"processes", detail::collect_processes, false},
    {"files", detail::collect_files, false},  {"network", detail::collect_network, false},
    {"hunt", detail::collect_hunt, false},    {"logs", detail::collect_logs, false},
    {"memory", detail::collect_memory, true}, {"bodyfile", detail::collect_bodyfile, true},
    {"diff", detail::collect_diff, true},     {"mounts", detail::collect_mounts, true},
    {"export", detail::collect_export, true}, {"commit", detail::collect_commit, true},
};

// These end the collection; anything else fails one artifact only. A timeout ends it too:
// an engine that stalled once stalls again, and waiting --timeout per remaining step would
// hide the one message that matters under many.
bool aborts_collection(errc e) {
  return e == errc::cancelled || e == errc::no_space || e == errc::io ||
         e == errc::engine_unreachable || e == errc::timeout;
}

std::set<std::string> selected(const collect_options& o) {
  std::set<std::string> names;
  if (o.artifacts.empty()) {
    for (const auto& n : artifact_names()) {
      if (n != "capture" && n != "memory") names.insert(n);
    }
  }
  for (const auto& n : o.artifacts) {
    const auto& all = artifact_names();
    if (std::find(all.begin(), all.end(), n) == all.end()) {
      std::string list;
      for (const auto& a : all) list += (list.empty() ? "" : ", ") + a;
      throw error(errc::invalid_argument, "unknown artifact '" + n + "' (known: " + list + ")");
    }
    names.insert(n);
  }
  if (o.capture.count() > 0) names.insert("capture");
  // MAC times come with the files they describe, recorded before those are read.
  if (names.count("export") || names.count("mounts")) names.insert("bodyfile");
  if (names.count("capture") && o.capture.count() <= 0) {
    throw error(errc::invalid_argument, "the capture artifact needs --capture SECONDS");
  }
  return names;
}

void describe_host(manifest& m, engine::client& engine) {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  m.host = host;
  struct utsname u {};
  if (::uname(&u) == 0) m.kernel = std::string(u.sysname) + " " + u.release + " " + u.version;
  const auto& v = engine.version();
  m.engine_version = v.version;
  m.engine_api_version = engine.api_version();
  m.engine_endpoint = engine.where().to_string();
}

// Resolves and inspects the container, fills the manifest's header and creates the partial
// bundle. Nothing is written before this succeeds: an unknown container or a dead engine
// leaves no trace. Returns when the inspect was taken.
std::string begin_collection(collection& c, std::optional<collection_lock>& lock) {
  const collect_options& o = c.options;
  c.target = engine::inspect_container(c.engine, o.container, &c.raw_inspect);
  const std::string inspected_at = io::rfc3339_now();
  manifest& m = c.record;
  m.clock = detail::read_clock_state();  // the clock every time below is read from
  m.started = inspected_at;
  m.tool = o.tool_name;
  m.tool_version = forensic::version_string;
  m.operator_identity = detail::read_operator(o.operator_name);
  m.operator_name = detail::operator_display_name(m.operator_identity);
  m.case_id = o.case_id;
  m.container_id = c.target.id;
  m.container_name = c.target.name();
  m.image = c.target.image;
  m.image_id = c.target.image_id;
  describe_host(m, c.engine);
  // Before anything is written or paused: a second collection of this container stops here.
  m.lock.path = (o.lock_dir / ("collect-" + c.target.id + ".lock")).string();
  try {
    lock.emplace(o.lock_dir, c.target.id);
    m.lock.held = true;
  } catch (const collection_locked&) {
    throw;
  } catch (const error& e) {
    m.lock.reason = e.what();  // not root: collected unlocked, and the manifest says so
  }
  c.bundle = std::make_unique<partial_bundle>(
      o.out_dir, detail::file_name_safe(o.case_id) + "-" + detail::file_name_safe(c.target.name()) +
                     "-" + io::format_compact_utc());
  return inspected_at;
}

void open_custody(collection& c) {
  c.custody = std::make_unique<custody_log>(*c.bundle);
  c.custody->note("collection of container " + c.target.id + " by " + c.record.operator_name +
                  ", case " + c.record.case_id);
  c.custody->note(c.record.lock.held
                      ? "holding the collection lock " + c.record.lock.path
                      : "collecting without the collection lock: " + c.record.lock.reason);
  for (const auto& r : c.early_exchanges) c.custody->request(r);
  c.early_exchanges.clear();
}

// A connection cut mid-answer is what a killed dockerd looks like from here: when the engine
// no longer answers at all, the collection ends now (every later step would fail the same
// way) instead of going on to seal a bundle that only looks whole.
void abort_if_engine_gone(engine::client& engine, const error& cut) {
  try {
    engine::ping(engine);
  } catch (const error& probe) {
    if (probe.kind() == errc::engine_unreachable || probe.kind() == errc::timeout) {
      throw error(probe.kind(), std::string(cut.what()) + "; the engine no longer answers (" +
                                    probe.what() + ")");
    }
  }
}

// Runs one named step and records it in the custody log: a failure that does not end the
// collection becomes a manifest failure, and the collection goes on.
class step_runner {
 public:
  explicit step_runner(collection& c) : c_(c) {}

  void operator()(const std::string& name, const std::function<void()>& body) const {
    const std::string started = io::rfc3339_now();
    try {
      if (c_.options.cancel_flag && c_.options.cancel_flag->load()) {
        throw error(errc::cancelled, "interrupted before " + name);
      }
      body();
      c_.custody->step(name, started, io::rfc3339_now(), "ok");
    } catch (const error& e) {
      c_.custody->step(name, started, io::rfc3339_now(), "failed", e.what());
      if (aborts_collection(e.kind())) throw;
      if (e.kind() == errc::protocol) abort_if_engine_gone(c_.engine, e);
      c_.record.failures.push_back({name, errc_name(e.kind()), e.what()});
    }
    if (c_.progress) c_.progress({name, 0, 0, true});
  }

 private:
  collection& c_;
};

// The filesystem steps, taken while the container is frozen (when asked and possible). On an
// error that ends the collection the container is unpaused first; when even that fails,
// `still_paused` says so for the final message.
void run_paused_steps(collection& c, const std::set<std::string>& wanted,
                      const step_runner& run_step, std::string& still_paused) {
  const collect_options& o = c.options;
  manifest& m = c.record;
  bool any_paused_step = false;
  for (const auto& s : steps) any_paused_step |= s.needs_pause && wanted.count(s.name) > 0;
  std::optional<engine::pause_guard> pause;
  if (any_paused_step) {
    run_step("pause", [&] {
      pause.emplace(c.engine, c.target.id, o.pause, o.cancel_flag);
      m.pause = pause->note();
      m.pause_detail = pause->record();
    });
    if (pause && o.leave_paused) {
      pause->leave_paused();
      if (pause->paused_by_us()) m.pause = "paused, and left paused as asked";
    }
  } else {
    m.pause = "not paused (no filesystem step asked)";
  }
  try {
    for (const auto& s : steps) {
      if (s.needs_pause && wanted.count(s.name)) run_step(s.name, [&] { s.run(c); });
    }
  } catch (const error&) {
    // Unpaused here rather than by the guard's destructor, which could not say it failed.
    if (pause && pause->paused_by_us() && !o.leave_paused) {
      try {
        pause->release();
      } catch (const error& u) {
        pause->leave_paused();  // no second round of retries in the destructor
        still_paused = "container " + c.target.name() + " is still PAUSED (" + u.what() +
                       "): run `docker unpause " + c.target.id + "` once the engine answers";
      }
    }
    throw;
  }
  if (pause && pause->paused_by_us() && !o.leave_paused) {
    run_step("unpause", [&] { pause->release(); });
    if (pause->paused_by_us()) {
      m.pause =
          "paused for the filesystem steps; the unpause FAILED (see failures): it is "
          "still paused";
    }
  }
  if (pause) m.pause_detail = pause->record();
}

// Every step, in order: capture start, inspect, the live-state steps, the paused ones,
// capture stop.
void run_steps(collection& c, const std::set<std::string>& wanted, const std::string& inspected_at,
               std::string& still_paused) {
  const step_runner run_step(c);
  if (wanted.count("capture")) run_step("capture", [&] { detail::start_capture(c); });
  if (wanted.count("inspect")) {
    run_step("inspect", [&] {
      c.add_artifact(
          "inspect", c.bundle->write_file("engine/container-inspect.json", c.raw_inspect),
          inspected_at, engine::describe(c.engine, engine::inspect_request(c.target.id)));
    });
  }
  if (wanted.count("events")) run_step("events", [&] { detail::take_early_events(c); });
  for (const auto& s : steps) {
    if (!s.needs_pause && wanted.count(s.name)) run_step(s.name, [&] { s.run(c); });
  }
  run_paused_steps(c, wanted, run_step, still_paused);
  // After the unpause: the collection's own events are part of the history it records.
  if (wanted.count("events")) run_step("events", [&] { detail::collect_events(c); });
  if (wanted.count("capture")) run_step("capture-stop", [&] { detail::stop_capture(c); });
}

// Describes, seals and publishes the bundle; returns its final directory.
std::filesystem::path seal_bundle(collection& c) {
  manifest& m = c.record;
  m.finished = io::rfc3339_now();
  c.custody->note("collection finished; writing manifest and SHA256SUMS");
  c.custody->close();
  c.add_artifact("custody", c.bundle->files().at("custody.jsonl"), m.started, "the collector");
  // Failure messages can quote engine answers: never let a stray byte lose the manifest.
  const std::string manifest_text =
      to_json(m).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  c.bundle->write_file("manifest.json", manifest_text);
  if (!c.options.sign_key.empty()) {
    c.bundle->write_file("manifest.json.sig", sign_ed25519(c.options.sign_key, manifest_text));
  }
  return c.bundle->commit();
}

}  // namespace

const std::vector<std::string>& artifact_names() {
  static const std::vector<std::string> names{"inspect", "image",  "processes", "files",  "network",
                                              "hunt",    "logs",   "diff",      "mounts", "export",
                                              "commit",  "events", "capture",   "memory"};
  return names;
}

collector::collector(engine::client& engine, collect_options options)
    : engine_(engine), options_(std::move(options)) {}

collect_result collector::run() {
  const auto wanted = selected(options_);
  collection c(engine_, options_, progress_);
  engine_.set_cancel_flag(options_.cancel_flag);
  engine_.set_observer([&c](const engine::exchange_record& r) { c.observe(r); });
  struct detach {
    engine::client& e;
    ~detach() { e.set_observer({}); }
  } detach_observer{engine_};

  // Everything that can be refused up front is, before anything is written: the signing key,
  // then the container.
  if (!options_.sign_key.empty()) {
    sign_ed25519(options_.sign_key, "key check");
    c.record.signature_key_sha256 = ed25519_public_key_sha256(options_.sign_key);
  }
  std::optional<collection_lock> lock;
  const std::string inspected_at = begin_collection(c, lock);
  // From here on an aborting error leaves a .partial directory: the message says so, and
  // says when the container could not be unpaused (the responder must do it by hand).
  std::string still_paused;
  collect_result result;
  try {
    open_custody(c);
    run_steps(c, wanted, inspected_at, still_paused);
    result.bundle = seal_bundle(c);
  } catch (const error& e) {
    std::string what = e.what();
    what +=
        "; the partial bundle " + c.bundle->directory().string() + " is kept and never verifies";
    if (!still_paused.empty()) what += "; " + still_paused;
    throw error(e.kind(), what);
  }
  const manifest& m = c.record;
  result.container_id = m.container_id;
  result.container_name = m.container_name;
  result.pause_note = m.pause;
  result.artifacts = m.artifacts;
  result.failures = m.failures;
  result.not_collected = m.not_collected;
  if (options_.archive) result.archive = pack_bundle(result.bundle, *options_.archive);
  return result;
}

}  // namespace forensic::evidence
