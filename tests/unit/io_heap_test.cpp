#include <doctest/doctest.h>
#include <sys/resource.h>

#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "forensic/io/heap.hpp"

using namespace forensic;

#if defined(__SANITIZE_ADDRESS__)
#define FORENSIC_TEST_OWN_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FORENSIC_TEST_OWN_ALLOCATOR 1
#endif
#endif

namespace {

// Minor faults of the calling thread while it allocates and writes `bytes` in 4 KiB blocks
// (each its own allocation, as a parser's nodes are), after `warm` bytes of warm_heap().
long faults_touching(std::size_t warm, std::size_t bytes) {
  long faults = -1;
  // A thread of its own: a fresh arena, whose pages nothing else has touched.
  std::thread([&] {
    io::warm_heap(warm);
    rusage before{}, after{};
    ::getrusage(RUSAGE_THREAD, &before);
    std::vector<std::unique_ptr<char[]>> blocks;
    for (std::size_t done = 0; done < bytes; done += 4096) {
      blocks.emplace_back(new char[4096]);
      std::memset(blocks.back().get(), 1, 4096);
    }
    ::getrusage(RUSAGE_THREAD, &after);
    faults = after.ru_minflt - before.ru_minflt;
  }).join();
  return faults;
}

}  // namespace

TEST_CASE("heap: allocations after warm_heap fault no page in") {
  io::keep_freed_memory();
  constexpr std::size_t bytes = 4 << 20;  // 1024 pages
#ifdef FORENSIC_TEST_OWN_ALLOCATOR
  // The sanitizer's allocator is not glibc's: warming is harmless and changes nothing.
  CHECK(faults_touching(2 * bytes, bytes) >= 0);
#else
  const long cold = faults_touching(0, bytes);
  const long warm = faults_touching(2 * bytes, bytes);
  CHECK(cold >= 900);
  CHECK(warm < 64);
#endif
}
