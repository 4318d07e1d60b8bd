#include "forensic/io/heap.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>

namespace forensic::io {
namespace {

constexpr std::size_t max_block = std::size_t{32} << 20;  // glibc's largest mmap threshold

std::atomic<bool> keeping{false};

}  // namespace

void keep_freed_memory() noexcept {
  ::mallopt(M_MMAP_THRESHOLD, static_cast<int>(max_block));
  ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
  keeping = true;
}

void warm_heap(std::size_t bytes) noexcept {
#ifdef MADV_POPULATE_WRITE
  if (!keeping || bytes == 0) return;
  bytes = std::min(bytes, max_block - 4096);
  void* block = std::malloc(bytes);
  if (!block) return;
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = (reinterpret_cast<std::uintptr_t>(block) + page - 1) & ~(page - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(block) + bytes) & ~(page - 1);
  // Freed at once: the pages stay with this thread's arena (keep_freed_memory) for what follows.
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
  std::free(block);
#else
  (void)bytes;
#endif
}

}  // namespace forensic::io
