#include "response/state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "forensic/error.hpp"
#include "forensic/io/time.hpp"
#include "forensic/io/unique_fd.hpp"

namespace forensic::response::detail {
namespace fs = std::filesystem;
namespace {

std::string path_of(const std::string& dir, const std::string& id) {
  return dir + "/" + id + ".json";
}

}  // namespace

std::string utc_now() {
  return io::format_rfc3339(std::chrono::system_clock::now(), io::time_precision::seconds);
}

void write_state(const std::string& dir, const std::string& container_id,
                 const nlohmann::json& state) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw error(errc::io, "cannot create " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  const std::string final_path = path_of(dir, container_id);
  const std::string tmp = final_path + ".tmp";
  io::unique_fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) throw_errno("cannot write " + tmp, errno);
  // Replace, never throw: the record must be written even if a name is not valid UTF-8.
  const std::string text =
      state.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t w = ::write(fd.get(), text.data() + done, text.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) throw_errno("cannot write " + tmp, errno);
    done += static_cast<std::size_t>(w);
  }
  if (::fsync(fd.get()) != 0) throw_errno("fsync " + tmp, errno);
  fd.close("close state file");
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) throw_errno("rename " + tmp, errno);
}

std::optional<nlohmann::json> read_state(const std::string& dir, const std::string& container_id) {
  std::ifstream in(path_of(dir, container_id));
  if (!in) return std::nullopt;
  auto doc = nlohmann::json::parse(in, nullptr, false);
  if (!doc.is_object()) return std::nullopt;
  return doc;
}

void remove_state(const std::string& dir, const std::string& container_id) {
  std::error_code ec;
  fs::remove(path_of(dir, container_id), ec);
}

std::vector<nlohmann::json> all_states(const std::string& dir) {
  std::vector<nlohmann::json> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    auto doc = nlohmann::json::parse(in, nullptr, false);
    if (doc.is_object()) out.push_back(std::move(doc));
  }
  return out;
}

}  // namespace forensic::response::detail
