#pragma once
// A sink into a new file that is on disk once finish() returns.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <thread>

#include "forensic/io/byte_sink.hpp"
#include "forensic/io/unique_fd.hpp"

namespace forensic::io {

// Writes to a new file (O_EXCL, mode 0600 by default); finish() fsyncs and closes it so that a
// successful finish means the bytes are on disk. Writeback of every 8 MiB written is started
// at once (sync_file_range) and waited for a step later, so the final fsync of a multi-GiB
// export does not stall for seconds: the disk works while the body is still streaming. Whole 4 KiB
// blocks of zeros are skipped as holes (the file reads back byte for byte the same, so its digest
// is unchanged): a container's sparse 10 GiB file exported as a tar costs seconds of hashing, not
// 10 GiB. Pieces arrive at whatever sizes the socket gives, so a block split across two writes is
// held back until it is whole; otherwise every split block would be written as data.
// Every 64 MiB an fdatasync runs on a helper thread, so the device flush (on a VM, the host
// writing its own cache out) also overlaps the stream instead of all waiting for finish().
class file_sink final : public byte_sink {
 public:
  explicit file_sink(const std::filesystem::path& path, unsigned mode = 0600);
  ~file_sink() override;
  file_sink(const file_sink&) = delete;
  file_sink& operator=(const file_sink&) = delete;
  void write(std::span<const std::byte> bytes) override;
  void finish() override;
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
  unique_fd fd_;
  std::uint64_t written_ = 0;
  std::uint64_t flushed_ = 0;  // start of the range whose writeback is not yet requested
  std::uint64_t waited_ = 0;   // end of the range written to the device (its cache: see syncer_)
  bool ends_in_hole_ = false;  // the last bytes were skipped: finish() sets the size
  static constexpr std::size_t block_size = 4096;
  std::array<std::byte, block_size> partial_{};  // the start of a block not yet whole
  std::size_t partial_size_ = 0;
  void write_blocks(const std::byte* p, std::size_t size);
  void write_all(const std::byte* p, std::size_t size);
  void start_writeback();
  void start_background_sync();
  std::uint64_t synced_ = 0;  // where the last background fdatasync was started
  std::thread syncer_;
  std::atomic<bool> sync_running_{false};
  std::atomic<int> sync_error_{0};  // an error it saw, reported by finish()
};

}  // namespace forensic::io
