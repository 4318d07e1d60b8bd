#include "forensic/evidence/collector.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <set>

#include "evidence/collection.hpp"
#include "evidence/custody_facts.hpp"
#include "forensic/error.hpp"
#include "forensic/evidence/pause_guard.hpp"
#include "forensic/evidence/signature.hpp"
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
    {"image", detail::collect_image, false},         {"processes", detail::collect_processes, false},
    {"files", detail::collect_files, false},         {"network", detail::collect_network, false},
    {"logs", detail::collect_logs, false},           {"diff", detail::collect_diff, true},
    {"export", detail::collect_export, true},        {"commit", detail::collect_commit, true},
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
      if (n != "capture") names.insert(n);
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

}  // namespace

const std::vector<std::string>& artifact_names() {
  static const std::vector<std::string> names{"inspect", "image", "processes", "files", "network",
                                              "logs",    "diff",  "export",    "commit", "capture"};
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
  // then the container (an unknown container or a dead engine writes nothing at all).
  manifest& m = c.record;
  if (!options_.sign_key.empty()) {
    sign_ed25519(options_.sign_key, "key check");
    m.signature_key_sha256 = ed25519_public_key_sha256(options_.sign_key);
  }
  c.target = engine::inspect_container(engine_, options_.container, &c.raw_inspect);
  const std::string inspected_at = rfc3339_now();
  m.clock = detail::read_clock_state();  // the clock every time below is read from
  m.started = inspected_at;
  m.tool = options_.tool_name;
  m.tool_version = forensic::version_string;
  m.operator_identity = detail::read_operator(options_.operator_name);
  m.operator_name = detail::operator_display_name(m.operator_identity);
  m.case_id = options_.case_id;
  m.container_id = c.target.id;
  m.container_name = c.target.name();
  m.image = c.target.image;
  m.image_id = c.target.image_id;
  describe_host(m, engine_);

  c.bundle = std::make_unique<partial_bundle>(
      options_.out_dir, detail::file_name_safe(options_.case_id) + "-" +
                            detail::file_name_safe(c.target.name()) + "-" + compact_utc_now());
  // From here on an aborting error leaves a .partial directory: the message says so, and
  // says when the container could not be unpaused (the responder must do it by hand).
  std::string still_paused;
  collect_result result;
  try {
    c.custody = std::make_unique<custody_log>(*c.bundle);
    c.custody->note("collection of container " + c.target.id + " by " + m.operator_name +
                    ", case " + m.case_id);
    for (const auto& r : c.early_exchanges) c.custody->request(r);
    c.early_exchanges.clear();

    // A connection cut mid-answer is what a killed dockerd looks like from here: when the
    // engine no longer answers at all, the collection ends now (every later step would fail the
    // same way) instead of going on to seal a bundle that only looks whole.
    const auto abort_if_engine_gone = [&](const error& cut) {
      try {
        engine_.get_raw("/_ping");
      } catch (const error& probe) {
        if (probe.kind() == errc::engine_unreachable || probe.kind() == errc::timeout) {
          throw error(probe.kind(), std::string(cut.what()) + "; the engine no longer answers (" +
                                        probe.what() + ")");
        }
      }
    };
    auto run_step = [&](const std::string& name, const std::function<void()>& body) {
      const std::string started = rfc3339_now();
      try {
        if (options_.cancel_flag && options_.cancel_flag->load()) {
          throw error(errc::cancelled, "interrupted before " + name);
        }
        body();
        c.custody->step(name, started, rfc3339_now(), "ok");
      } catch (const error& e) {
        c.custody->step(name, started, rfc3339_now(), "failed", e.what());
        if (aborts_collection(e.kind())) throw;
        if (e.kind() == errc::protocol) abort_if_engine_gone(e);
        m.failures.push_back({name, errc_name(e.kind()), e.what()});
      }
      if (progress_) progress_({name, 0, 0, true});
    };

    if (wanted.count("capture")) run_step("capture", [&] { detail::start_capture(c); });
    if (wanted.count("inspect")) {
      run_step("inspect", [&] {
        c.add_artifact("inspect",
                       c.bundle->write_file("engine/container-inspect.json", c.raw_inspect),
                       inspected_at,
                       "GET /v" + engine_.api_version() + "/containers/" + c.target.id + "/json");
      });
    }
    for (const auto& s : steps) {
      if (!s.needs_pause && wanted.count(s.name)) run_step(s.name, [&] { s.run(c); });
    }
    {
      bool any_paused_step = false;
      for (const auto& s : steps) any_paused_step |= s.needs_pause && wanted.count(s.name) > 0;
      std::optional<pause_guard> pause;
      if (any_paused_step) {
        run_step("pause", [&] {
          pause.emplace(engine_, c.target.id, options_.pause, options_.cancel_flag);
          m.pause = pause->note();
        });
        if (pause && options_.leave_paused) {
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
        if (pause && pause->paused_by_us() && !options_.leave_paused) {
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
      if (pause && pause->paused_by_us() && !options_.leave_paused) {
        run_step("unpause", [&] { pause->release(); });
      }
    }
    if (wanted.count("capture")) run_step("capture-stop", [&] { detail::stop_capture(c); });

    // Describe, seal, publish.
    m.finished = rfc3339_now();
    c.custody->note("collection finished; writing manifest and SHA256SUMS");
    c.custody->close();
    c.add_artifact("custody", c.bundle->files().at("custody.jsonl"), m.started, "the collector");
    // Failure messages can quote engine answers: never let a stray byte lose the manifest.
    const std::string manifest_text =
        to_json(m).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    c.bundle->write_file("manifest.json", manifest_text);
    if (!options_.sign_key.empty()) {
      c.bundle->write_file("manifest.json.sig", sign_ed25519(options_.sign_key, manifest_text));
    }
    result.bundle = c.bundle->commit();
  } catch (const error& e) {
    std::string what = e.what();
    what +=
        "; the partial bundle " + c.bundle->directory().string() + " is kept and never verifies";
    if (!still_paused.empty()) what += "; " + still_paused;
    throw error(e.kind(), what);
  }
  result.container_id = m.container_id;
  result.container_name = m.container_name;
  result.pause_note = m.pause;
  result.artifacts = m.artifacts;
  result.failures = m.failures;
  if (options_.archive) result.archive = pack_bundle(result.bundle, *options_.archive);
  return result;
}

}  // namespace forensic::evidence
