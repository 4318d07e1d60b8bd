// The capture around a collection (capture module: forensic/capture/session.hpp).
#include "evidence/collection.hpp"
#include "forensic/error.hpp"

namespace forensic::evidence::detail {

void start_capture(collection&) {
  throw error(errc::not_found, "module unavailable: the capture module is not in this build yet");
}

void stop_capture(collection& c) {
  if (!c.capture) throw error(errc::not_found, "no capture was running");
}

}  // namespace forensic::evidence::detail
