#pragma once
// The heap of a short-lived process on a host where the first touch of a page is dear.
//
// Why: the kernel hands a process each page of memory on its first touch, one fault at a time;
// on a paravirtualized VM a fault traps to the hypervisor and costs ~15-20 µs, while the same
// pages made resident in one call cost ~1 µs each (MADV_POPULATE_WRITE, Linux 5.14). Parsing
// the engine's answers and records for hundreds of containers touches megabytes of fresh heap:
// at 300 containers the faults were a sixth of ir-ps's CPU time.
#include <cstddef>

namespace forensic::io {

// Keeps what the process frees for its own reuse: the heap is not trimmed, and blocks up to
// 32 MiB are carved from it instead of mapped on their own. For a tool that runs for seconds,
// not for a long-lived process. Enables warm_heap().
void keep_freed_memory() noexcept;

// Makes `bytes` (at most 32 MiB) of the calling thread's heap resident in one call, so that
// its next allocations up to about that much fault no page in. Does nothing unless the process
// called keep_freed_memory() (freed memory would be given back at once), or when the kernel
// lacks MADV_POPULATE_WRITE. Best effort: never fails.
void warm_heap(std::size_t bytes) noexcept;

}  // namespace forensic::io
