#include "forensic/engine/pause_guard.hpp"

#include <chrono>
#include <thread>

#include "forensic/engine/client.hpp"
#include "forensic/engine/operations.hpp"
#include "forensic/error.hpp"
#include "forensic/io/time.hpp"

namespace forensic::engine {

pause_guard::pause_guard(client& engine, std::string container_id, bool pause,
                         const std::atomic<bool>* cancel_flag)
    : engine_(engine), id_(std::move(container_id)), cancel_flag_(cancel_flag) {
  if (!pause) {
    note_ = "not paused (asked not to)";
    return;
  }
  const container_state state = inspect_state(engine_, id_);
  if (!state.running) {
    note_ = "not paused (not running)";
    return;
  }
  if (state.paused) {
    note_ = "was already paused before collection; left paused";
    record_.paused_by = "already paused before this collection";
    return;
  }
  engine::pause(engine_, id_);
  paused_by_us_ = true;
  record_.paused_by = "this collection";
  record_.paused_at = io::rfc3339_now();
  note_ = "paused for the filesystem steps, then unpaused";
}

void pause_guard::release() {
  if (!paused_by_us_ || leave_paused_) return;
  // The interrupt flag may already be set (that is often why we are here): an unpause must
  // not be aborted by it.
  engine_.set_cancel_flag(nullptr);
  struct restore {
    client& e;
    const std::atomic<bool>* f;
    ~restore() { e.set_cancel_flag(f); }
  } restore_flag{engine_, cancel_flag_};
  for (int attempt = 1;; ++attempt) {
    try {
      unpause(engine_, id_);
      paused_by_us_ = false;
      record_.unpaused_by = "this collection";
      record_.unpaused_at = io::rfc3339_now();
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
        record_.unpaused_at = io::rfc3339_now();  // when this was found, not when it happened
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

}  // namespace forensic::engine
