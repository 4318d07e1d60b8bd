#include "forensic/evidence/pause_guard.hpp"

#include <nlohmann/json.hpp>
#include <thread>

#include "forensic/engine/client.hpp"

namespace forensic::evidence {

pause_guard::pause_guard(engine::client& engine, std::string container_id, bool pause,
                         const std::atomic<bool>* cancel_flag)
    : engine_(engine), id_(std::move(container_id)), cancel_flag_(cancel_flag) {
  if (!pause) {
    note_ = "not paused (asked not to)";
    return;
  }
  auto state = engine_.get_json("/containers/" + id_ + "/json").value("State", nlohmann::json::object());
  if (!state.is_object() || !state.value("Running", false)) {
    note_ = "not paused (not running)";
    return;
  }
  if (state.value("Paused", false)) {
    note_ = "was already paused before collection; left paused";
    record_.paused_by = "already paused before this collection";
    return;
  }
  engine_.post_json("/containers/" + id_ + "/pause");
  paused_by_us_ = true;
  record_.paused_by = "this collection";
  record_.paused_at = rfc3339_now();
  note_ = "paused for the filesystem steps, then unpaused";
}

void pause_guard::release() {
  if (!paused_by_us_ || leave_paused_) return;
  // The interrupt flag may already be set (that is often why we are here): an unpause must
  // not be aborted by it.
  engine_.set_cancel_flag(nullptr);
  struct restore {
    engine::client& e;
    const std::atomic<bool>* f;
    ~restore() { e.set_cancel_flag(f); }
  } restore_flag{engine_, cancel_flag_};
  for (int attempt = 1;; ++attempt) {
    try {
      engine_.post_json("/containers/" + id_ + "/unpause");
      paused_by_us_ = false;
      record_.unpaused_by = "this collection";
      record_.unpaused_at = rfc3339_now();
      return;
    } catch (const error& e) {
      // "Not paused": someone else unpaused it already. "No such container": it was removed
      // while we worked (rm -f of a paused container works); nothing is left to unpause.
      if (e.kind() == errc::conflict || e.kind() == errc::not_found) {
        paused_by_us_ = false;
        record_.unpaused_by = e.kind() == errc::conflict
                                  ? "someone else (it was no longer paused when this collection "
                                    "went to unpause it)"
                                  : "nobody (the container was removed while paused)";
        record_.unpaused_at = rfc3339_now();  // when this was found, not when it happened
        return;
      }
      if (attempt == 3) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(300 * attempt));
    }
  }
}

pause_guard::~pause_guard() {
  if (leave_paused_) return;
  try {
    release();
  } catch (...) {
    // Nothing more can be done from a destructor; the manifest is not written on this path.
  }
}

}  // namespace forensic::evidence
