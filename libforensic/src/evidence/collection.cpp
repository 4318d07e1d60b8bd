#include "evidence/collection.hpp"

#include <nlohmann/json.hpp>

#include "forensic/engine/requests.hpp"
#include "forensic/error.hpp"
#include "forensic/io/time.hpp"

namespace forensic::evidence::detail {
namespace {

class progress_sink final : public io::byte_sink {
 public:
  progress_sink(std::string step, io::byte_sink& next, const progress_callback& report)
      : step_(std::move(step)), next_(next), report_(report) {}
  void write(std::span<const std::byte> bytes) override {
    next_.write(bytes);
    bytes_ += bytes.size();
    const auto now = std::chrono::steady_clock::now();
    if (report_ && now - last_ >= std::chrono::milliseconds(250)) {
      last_ = now;
      report_({step_, bytes_, std::chrono::duration<double>(now - start_).count(), false});
    }
  }
  void finish() override { next_.finish(); }
  const std::string* digest_after_finish() const noexcept override {
    return next_.digest_after_finish();
  }

 private:
  std::string step_;
  io::byte_sink& next_;
  const progress_callback& report_;
  std::uint64_t bytes_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

}  // namespace

std::unique_ptr<io::byte_sink> collection::with_progress(const std::string& step,
                                                         io::byte_sink& next) {
  return std::make_unique<progress_sink>(step, next, progress);
}

std::string collection::source_of(const engine::request& req) {
  return engine::describe(engine, req);
}

void collection::observe(const engine::exchange_record& r) {
  if (!observing) return;
  if (custody)
    custody->request(r);
  else
    early_exchanges.push_back(r);
}

void collection::add_artifact(const std::string& artifact, const file_record& f,
                              const std::string& started, const std::string& source) {
  record.artifacts.push_back(
      {artifact, f.path, f.size, f.sha256, started, io::rfc3339_now(), source});
}

file_record collection::stream_to_file(const std::string& artifact, const std::string& path,
                                       const engine::request& req) {
  engine::exchange_record rec;
  rec.method = req.method;
  rec.target = engine::versioned_target(engine, req);
  rec.started = std::chrono::system_clock::now();
  const std::string started = io::rfc3339_now();
  auto file = bundle->create(path);
  auto sink = with_progress(artifact, *file);
  observing = false;
  struct resume {
    bool& flag;
    ~resume() { flag = true; }
  } resume_observing{observing};
  try {
    // call() finishes the chain: the file is hashed and on disk when it returns.
    const auto info = engine.call(req, *sink);
    rec.status = info.status;
  } catch (const error& e) {
    rec.finished = std::chrono::system_clock::now();
    rec.failure = e.what();
    custody->request(rec);
    throw;
  }
  rec.finished = std::chrono::system_clock::now();
  rec.bytes = file->record().size;
  rec.sha256 = file->record().sha256;
  custody->request(rec);
  add_artifact(artifact, file->record(), started, source_of(req));
  return file->record();
}

}  // namespace forensic::evidence::detail
