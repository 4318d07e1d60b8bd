#pragma once
// Freezing a container while its filesystem is copied, and never leaving it frozen by
// accident.
//
// pause_guard pauses through the engine (engine::pause, the cgroup freezer) and unpauses in
// its destructor on every path: a normal return, an exception, or Ctrl-C (the interrupt flag
// aborts the engine call in progress, the exception unwinds, and the destructor unpauses with
// the flag ignored so that the unpause itself is not cancelled). A container that was already
// paused before us is left as it was; leave_paused() keeps our pause on purpose. Only SIGKILL
// of the tool can leave a container paused.
#include <atomic>
#include <string>

namespace forensic::engine {

class client;

// Who froze the container and who thawed it, with times (RFC 3339 UTC); empty fields are
// written as null. paused_by: "this collection", "already paused before this collection", or
// empty when nobody paused it. unpaused_by: "this collection", "someone else (it was no longer
// paused when this collection unpaused it)", or empty when it was left paused.
struct pause_record {
  std::string paused_by;
  std::string paused_at;
  std::string unpaused_by;
  std::string unpaused_at;
};

class pause_guard {
 public:
  // Pauses `container_id` when `pause` is true and it is running. `cancel_flag` is the flag
  // the client polls (restored after the unpause).
  pause_guard(client& engine, std::string container_id, bool pause,
              const std::atomic<bool>* cancel_flag = nullptr);
  ~pause_guard();
  pause_guard(const pause_guard&) = delete;
  pause_guard& operator=(const pause_guard&) = delete;

  // Unpauses now (when we paused), throwing if the engine refuses.
  void release();
  // Keep the container paused when this guard ends (the user asked for it).
  void leave_paused() noexcept { leave_paused_ = true; }

  bool paused_by_us() const noexcept { return paused_by_us_; }
  // One line for the manifest: what was done and why.
  const std::string& note() const noexcept { return note_; }
  // Who paused and unpaused, and when, as far as this guard has seen (the manifest's
  // pause_record): filled as each happens, never ahead of it.
  const pause_record& record() const noexcept { return record_; }

 private:
  client& engine_;
  std::string id_;
  const std::atomic<bool>* cancel_flag_;
  bool paused_by_us_ = false;
  bool leave_paused_ = false;
  std::string note_;
  pause_record record_;
};

}  // namespace forensic::engine
