#pragma once
// A sink that hands its bytes to a worker thread, so that hashing and writing a large body
// overlap its transfer instead of adding to it: the engine connection keeps reading while the
// previous megabytes are hashed and written. Memory is bounded: at most `depth` blocks of
// `block_size` bytes are in flight, and the producer waits when they are all taken.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "forensic/io/byte_sink.hpp"

namespace forensic::evidence::detail {

class background_sink final : public io::byte_sink {
 public:
  explicit background_sink(io::byte_sink& next, std::size_t block_size = 1u << 20,
                           std::size_t depth = 4);
  // Stops the worker without finishing `next` (the failure path).
  ~background_sink() override;
  background_sink(const background_sink&) = delete;
  background_sink& operator=(const background_sink&) = delete;

  // Rethrows, in the producer, an error the worker met (disk full) on the next write.
  void write(std::span<const std::byte> bytes) override;
  // Drains the queue, finishes `next` in the worker and rethrows its error, if any.
  void finish() override;

 private:
  void push_current(bool last);
  void work();
  void rethrow_failure();

  io::byte_sink& next_;
  std::size_t block_size_;
  std::size_t depth_;
  std::vector<std::byte> current_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<std::byte>> queue_;
  bool last_queued_ = false;  // finish asked: the worker finishes `next` after the queue
  bool stop_ = false;         // abandon: the worker exits without finishing
  bool done_ = false;         // the worker has exited
  std::exception_ptr failure_;
  std::thread worker_;
};

}  // namespace forensic::evidence::detail
