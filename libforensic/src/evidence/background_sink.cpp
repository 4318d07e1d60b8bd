#include "evidence/background_sink.hpp"

#include <algorithm>

namespace forensic::evidence::detail {

background_sink::background_sink(io::byte_sink& next, std::size_t block_size, std::size_t depth)
    : next_(next), block_size_(block_size), depth_(std::max<std::size_t>(depth, 1)) {
  current_.reserve(block_size_);
  worker_ = std::thread([this] { work(); });
}

background_sink::~background_sink() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void background_sink::rethrow_failure() {
  if (failure_) std::rethrow_exception(failure_);
}

void background_sink::push_current(bool last) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return queue_.size() < depth_ || failure_ || done_; });
  rethrow_failure();
  if (!current_.empty()) {
    queue_.push_back(std::move(current_));
    current_ = {};
    current_.reserve(block_size_);
  }
  if (last) last_queued_ = true;
  changed_.notify_all();
}

void background_sink::write(std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    const std::size_t take = std::min(bytes.size(), block_size_ - current_.size());
    current_.insert(current_.end(), bytes.begin(), bytes.begin() + static_cast<long>(take));
    bytes = bytes.subspan(take);
    if (current_.size() == block_size_) push_current(false);
  }
}

void background_sink::finish() {
  push_current(true);
  if (worker_.joinable()) worker_.join();
  rethrow_failure();
}

void background_sink::work() {
  for (;;) {
    std::vector<std::byte> block;
    bool finish_next = false;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stop_ || !queue_.empty() || last_queued_; });
      if (stop_) break;
      if (!queue_.empty()) {
        block = std::move(queue_.front());
        queue_.pop_front();
      } else {
        finish_next = true;  // last_queued_ and drained
      }
    }
    changed_.notify_all();
    try {
      if (finish_next) {
        next_.finish();
        break;
      }
      next_.write(block);
    } catch (...) {
      std::lock_guard lock(mutex_);
      failure_ = std::current_exception();
      break;
    }
  }
  std::lock_guard lock(mutex_);
  done_ = true;
  changed_.notify_all();
}

}  // namespace forensic::evidence::detail
