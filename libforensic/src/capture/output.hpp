#pragma once
// The files of one capture: naming, rotation by size or time, the total-size cap, the
// free-space guard, hashing while writing, atomic completion (".partial" renamed) and the
// sha256sum sidecar. Private to the capture module.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "forensic/capture/pcapng_writer.hpp"
#include "forensic/capture/session.hpp"

namespace forensic::capture::detail {

struct output_settings {
  std::filesystem::path output;
  output_format format = output_format::pcapng;
  std::optional<std::uint64_t> rotate_bytes;
  std::optional<std::chrono::seconds> rotate_seconds;
  std::optional<std::uint64_t> max_total_bytes;
  std::uint64_t min_free_bytes = 0;
  section_info section;
  std::function<void(const capture_file&)> on_file;
};

// Why writing must stop, with the line to show.
struct output_stop {
  stop_reason reason;
  std::string message;
};

class capture_output {
 public:
  // Validates the settings (output does not exist, its folder does, enough free space,
  // one link type for plain pcap) and opens the first file. Throws forensic::error.
  capture_output(output_settings settings, std::vector<interface_description> interfaces);
  ~capture_output();
  capture_output(const capture_output&) = delete;
  capture_output& operator=(const capture_output&) = delete;

  // Writes one packet, rotating first when due. Returns a stop when the packet would break
  // the total cap or the free-space guard (then it is not written).
  std::optional<output_stop> write(std::uint32_t interface_id, std::chrono::nanoseconds ts,
                                   std::span<const std::byte> data, std::uint32_t original_length);
  // An interface joining mid-capture: it takes the next id, is described in the current file
  // (pcapng: an interface block here) and in every later file. Returns why it cannot be added
  // (plain pcap and another link type), or "".
  std::string add_interface(const interface_description& interface);
  // Called about every 100 ms: time rotation and the free-space guard while idle.
  std::optional<output_stop> tick();
  // Finishes the current file (with statistics blocks, pcapng) and returns every file.
  std::vector<capture_file> finish(const std::vector<interface_counters>& statistics);
  // Best effort on an error path: finish the current file without statistics.
  void abandon() noexcept;

  const std::vector<capture_file>& files() const noexcept { return files_; }

  // "<stem>-00001<ext>" for rotation number n >= 1.
  static std::filesystem::path rotated_name(const std::filesystem::path& output, unsigned n);
  // Bytes available to an unprivileged writer on the file system holding `dir`.
  static std::uint64_t free_bytes(const std::filesystem::path& dir);

 private:
  struct open_file;
  std::filesystem::path next_path() const;
  void open_next();
  void close_current(const std::vector<interface_counters>* statistics);
  std::optional<output_stop> check_space(std::uint64_t upcoming);

  output_settings settings_;
  std::vector<interface_description> interfaces_;
  std::unique_ptr<open_file> current_;
  std::vector<capture_file> files_;
  std::uint64_t finished_bytes_ = 0;
  unsigned sequence_ = 0;
  std::uint64_t written_since_check_ = 0;
  std::chrono::steady_clock::time_point last_check_;
};

}  // namespace forensic::capture::detail
