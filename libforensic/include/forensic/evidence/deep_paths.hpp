#pragma once
// Files the engine cannot export. The engine walks a container's filesystem by path names, and
// the kernel refuses any path of PATH_MAX (4096) bytes or more: a container can nest directories
// deeper than that (mkdir and cd with relative names never hit the limit), and everything below
// is silently left out of `docker export` (and makes `docker diff` fail). Here the container's
// writable layer is read from the host by directory file descriptors, one name at a time, which
// has no such limit, and every entry too long for the engine is archived on its own.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "forensic/io/byte_sink.hpp"

namespace forensic::evidence {

struct deep_paths_summary {
  std::uint64_t entries = 0;  // archived entries
  std::uint64_t bytes = 0;    // file content archived
  // The shallowest entries over the limit (container paths, up to 10), to name in a message.
  std::vector<std::string> tops;
  // Entries seen but not archived, and why ("<path>: a socket"): tar cannot hold every type.
  std::vector<std::string> skipped;
};

// Walks `layer_dir` (a container's writable overlay layer on the host; its root is the
// container's "/") without following symlinks, and writes each entry whose container path,
// with `engine_prefix_length` bytes of the engine's own root path before it, is PATH_MAX bytes
// or longer, to a pax tar (names exact, owners, modes and times kept, paths relative like
// `docker export`'s). `open_sink` is called once, at the first such entry: with none, nothing
// is written. The tar is finished (sink.finish() not called: the caller owns the sink).
// Directories deeper than 100,000 levels are not descended into (listed in `skipped`). When
// `cancel` becomes true (Ctrl-C), throws errc::cancelled within a megabyte of reading.
deep_paths_summary archive_deep_paths(const std::filesystem::path& layer_dir,
                                      std::size_t engine_prefix_length,
                                      const std::function<io::byte_sink&()>& open_sink,
                                      const std::atomic<bool>* cancel = nullptr);

}  // namespace forensic::evidence
