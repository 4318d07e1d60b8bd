#include "forensic/evidence/manifest.hpp"

#include <chrono>
#include <nlohmann/json.hpp>

#include "forensic/engine/client.hpp"
#include "forensic/io/time.hpp"

namespace forensic::evidence {
namespace {

constexpr auto json_replace = nlohmann::json::error_handler_t::replace;

template <class T>
nlohmann::json or_null(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

nlohmann::json clock_json(const clock_state& c) {
  nlohmann::json j = {{"source", c.source},
                      {"synchronized", or_null(c.synchronized)},
                      {"esterror_us", or_null(c.esterror_us)},
                      {"maxerror_us", or_null(c.maxerror_us)}};
  if (!c.error.empty()) j["error"] = c.error;
  return j;
}

nlohmann::json operator_json(const operator_record& o) {
  return {{"uid", o.uid},
          {"login_uid", or_null(o.login_uid)},
          {"login_name", o.login_name},
          {"sudo_user", o.sudo_user},
          {"given", o.given}};
}

}  // namespace

nlohmann::json to_json(const manifest& m) {
  nlohmann::json artifacts = nlohmann::json::array();
  for (const auto& a : m.artifacts) {
    artifacts.push_back({{"artifact", a.artifact},
                         {"path", a.path},
                         {"size", a.size},
                         {"sha256", a.sha256},
                         {"started", a.started},
                         {"finished", a.finished},
                         {"source", a.source}});
  }
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& f : m.failures) {
    failures.push_back({{"artifact", f.artifact}, {"error", f.error}, {"message", f.message}});
  }
  nlohmann::json not_collected = nlohmann::json::array();
  for (const auto& n : m.not_collected) {
    not_collected.push_back({{"artifact", n.artifact}, {"reason", n.reason}});
  }
  const auto text_or_null = [](const std::string& s) -> nlohmann::json {
    return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
  };
  nlohmann::json lock = {{"path", text_or_null(m.lock.path)}, {"held", m.lock.held}};
  if (!m.lock.reason.empty()) lock["reason"] = m.lock.reason;
  nlohmann::json streamed = nlohmann::json::array();
  for (const auto& d : m.streamed_digests) {
    streamed.push_back({{"path", d.path},
                        {"streamed_sha256", d.streamed_sha256},
                        {"sha256", d.sha256},
                        {"match", d.streamed_sha256 == d.sha256}});
  }
  nlohmann::json signature;  // null: not signed
  if (!m.signature_key_sha256.empty()) {
    signature = {{"algorithm", "ed25519"}, {"public_key_sha256", m.signature_key_sha256}};
  }
  return {{"schema", bundle_schema},
          {"tool", {{"name", m.tool}, {"version", m.tool_version}}},
          {"host", {{"hostname", m.host}, {"kernel", m.kernel}}},
          {"engine",
           {{"version", m.engine_version},
            {"api_version", m.engine_api_version},
            {"endpoint", m.engine_endpoint}}},
          {"operator", m.operator_name},
          {"operator_identity", operator_json(m.operator_identity)},
          {"clock", clock_json(m.clock)},
          {"case", m.case_id},
          {"container",
           {{"id", m.container_id},
            {"name", m.container_name},
            {"image", m.image},
            {"image_id", m.image_id}}},
          {"started", m.started},
          {"finished", m.finished},
          {"pause", m.pause},
          {"pause_record",
           {{"paused_by", text_or_null(m.pause_detail.paused_by)},
            {"paused_at", text_or_null(m.pause_detail.paused_at)},
            {"unpaused_by", text_or_null(m.pause_detail.unpaused_by)},
            {"unpaused_at", text_or_null(m.pause_detail.unpaused_at)}}},
          {"lock", std::move(lock)},
          {"artifacts", std::move(artifacts)},
          {"failures", std::move(failures)},
          {"not_collected", std::move(not_collected)},
          {"streamed_digests", std::move(streamed)},
          {"signature", std::move(signature)}};
}

custody_log::custody_log(partial_bundle& bundle) : file_(bundle.create("custody.jsonl")) {}
custody_log::~custody_log() = default;

void custody_log::append(const nlohmann::json& entry) {
  if (!file_) return;
  nlohmann::json e = entry;
  e["seq"] = ++sequence_;
  std::string line = e.dump(-1, ' ', false, json_replace) + "\n";
  file_->write(io::as_bytes(line));
}

void custody_log::step(const std::string& name, const std::string& started,
                       const std::string& finished, const std::string& outcome,
                       const std::string& detail) {
  nlohmann::json e = {{"type", "step"},
                      {"step", name},
                      {"started", started},
                      {"finished", finished},
                      {"outcome", outcome}};
  if (!detail.empty()) e["detail"] = detail;
  append(e);
}

void custody_log::request(const engine::exchange_record& r) {
  nlohmann::json e = {{"type", "request"},
                      {"method", r.method},
                      {"target", r.target},
                      {"status", r.status},
                      {"bytes", r.bytes},
                      {"sha256", r.sha256},
                      {"started", io::format_rfc3339(r.started, io::time_precision::micros)},
                      {"finished", io::format_rfc3339(r.finished, io::time_precision::micros)}};
  if (!r.failure.empty()) e["failure"] = r.failure;
  append(e);
}

void custody_log::note(const std::string& text) {
  append({{"type", "note"}, {"time", io::rfc3339_now()}, {"text", text}});
}

void custody_log::close() {
  if (!file_) return;
  file_->finish();
  file_.reset();
}

}  // namespace forensic::evidence
