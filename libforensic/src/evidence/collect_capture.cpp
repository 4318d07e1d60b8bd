// The capture around a collection (capture module: forensic/capture/session.hpp).
#include <thread>

#include "evidence/attribution.hpp"
#include "evidence/collection.hpp"
#include "forensic/capture/session.hpp"
#include "forensic/error.hpp"
#include "forensic/io/time.hpp"
#include "forensic/net/links.hpp"

namespace forensic::evidence::detail {
namespace {
constexpr const char* capture_path = "capture/capture.pcapng";
}

void start_capture(collection& c) {
  // The container's host veths are found through its pid's network namespace.
  if (!host_side_allowed(c, "capture")) return;
  capture::capture_options o;
  for (const auto& name : net::host_interfaces_of(c.engine, c.target.id)) {
    o.interfaces.push_back({name, "host veth of container " + c.target.name()});
  }
  o.output = c.bundle->reserve(capture_path);
  o.comment = "case " + c.options.case_id + ", container " + c.target.id + ", operator " +
              c.record.operator_name + ", collected by " + c.options.tool_name;
  auto session = std::make_shared<capture::capture_session>(std::move(o));
  session->start();
  c.capture = session;
  c.capture_started = std::chrono::steady_clock::now();
}

void stop_capture(collection& c) {
  auto session = std::static_pointer_cast<capture::capture_session>(c.capture);
  if (!session) {
    if (c.host_refusal && !c.host_refusal->empty()) return;  // refused at start, recorded then
    throw error(errc::not_found, "no capture was running");
  }
  const std::string started = io::rfc3339_now();
  // At least the asked duration, still honouring Ctrl-C.
  while (std::chrono::steady_clock::now() - c.capture_started < c.options.capture) {
    if (c.options.cancel_flag && c.options.cancel_flag->load()) {
      throw error(errc::cancelled, "interrupted while capturing");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto result = session->stop();
  c.capture.reset();
  const auto root = c.bundle->directory();
  std::string mismatches;
  for (const auto& f : result.files) {
    for (const auto& p : {f.path, f.sha256_path}) {
      if (p.empty()) continue;
      auto rec = c.bundle->adopt(p.lexically_relative(root).generic_string());
      c.add_artifact(
          "capture", rec, started,
          "libpcap on the container's host veths (" + std::to_string(f.packets) + " packets)");
      if (p != f.path) continue;
      // The digest taken while the packets streamed to disk against the re-read that
      // SHA256SUMS will list: a difference means the file changed between the two.
      c.record.streamed_digests.push_back({rec.path, f.sha256, rec.sha256});
      const bool same = f.sha256 == rec.sha256;
      c.custody->note(rec.path + ": digest while streaming " + f.sha256 +
                      (same ? " equals" : " DIFFERS FROM") + " the one in SHA256SUMS " +
                      rec.sha256);
      if (!same) mismatches += (mismatches.empty() ? "" : ", ") + rec.path;
    }
  }
  for (const auto& w : result.warnings) c.custody->note("capture: " + w);
  c.custody->note("capture stopped: " + result.message);
  if (!mismatches.empty()) {
    throw error(errc::verification_failed,
                "the digest computed while capturing differs from the file's digest in "
                "SHA256SUMS: " +
                    mismatches + " changed after it was written");
  }
}

}  // namespace forensic::evidence::detail
