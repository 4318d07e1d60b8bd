#include "capture/output.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstdio>

#include "forensic/error.hpp"
#include "forensic/io/file_sink.hpp"
#include "forensic/io/hashing_sink.hpp"

namespace forensic::capture::detail {
namespace fs = std::filesystem;
namespace {

constexpr std::uint64_t mib = 1 << 20;
// Re-read the free space at least this often (other writers share the disk).
constexpr std::uint64_t recheck_bytes = 8 * mib;
constexpr auto recheck_interval = std::chrono::seconds(1);

std::string in_mib(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / mib);
  return text;
}

fs::path partial_of(const fs::path& p) { return p.string() + ".partial"; }
fs::path sidecar_of(const fs::path& p) { return p.string() + ".sha256"; }

// rename(2) that refuses to replace an existing file (evidence is never overwritten).
void rename_no_replace(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return;
  if (errno == EEXIST) {
    throw error(errc::io, "cannot complete " + to.string() + ": it appeared meanwhile");
  }
  if (errno != EINVAL && errno != ENOSYS) throw_errno("cannot rename " + from.string(), errno);
  if (fs::exists(to)) throw error(errc::io, "cannot complete " + to.string() + ": it exists");
  if (::rename(from.c_str(), to.c_str()) != 0) {
    throw_errno("cannot rename " + from.string(), errno);
  }
}

void refuse_existing(const fs::path& p) {
  for (const auto& q : {p, partial_of(p), sidecar_of(p)}) {
    std::error_code ec;
    if (fs::exists(fs::symlink_status(q, ec))) {
      throw error(errc::invalid_argument,
                  q.string() + " already exists; refusing to overwrite evidence");
    }
  }
}

}  // namespace

struct capture_output::open_file {
  fs::path path;
  io::file_sink file;
  io::hashing_sink hash{&file};
  std::unique_ptr<packet_writer> writer;
  std::uint64_t packets = 0;
  std::chrono::steady_clock::time_point opened = std::chrono::steady_clock::now();

  open_file(fs::path final_path, output_format format)
      : path(std::move(final_path)), file(partial_of(path)) {
    if (format == output_format::pcapng) {
      writer = std::make_unique<pcapng_writer>(hash);
    } else {
      writer = std::make_unique<pcap_writer>(hash);
    }
  }
};

fs::path capture_output::rotated_name(const fs::path& output, unsigned n) {
  char number[16];
  std::snprintf(number, sizeof number, "-%05u", n);
  fs::path name = output.stem();
  name += number;
  name += output.extension();
  return output.parent_path() / name;
}

std::uint64_t capture_output::free_bytes(const fs::path& dir) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) throw_errno("cannot stat " + dir.string(), errno);
  return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
}

capture_output::capture_output(output_settings settings,
                               std::vector<interface_description> interfaces)
    : settings_(std::move(settings)), interfaces_(std::move(interfaces)) {
  if (settings_.format == output_format::pcap && interfaces_.size() > 1) {
    // Plain pcap has one link type for the whole file: merge same-typed interfaces, refuse
    // a mix rather than write frames a reader would decode wrongly.
    interface_description merged = interfaces_.front();
    for (std::size_t i = 1; i < interfaces_.size(); ++i) {
      const auto& d = interfaces_[i];
      if (d.link_type != merged.link_type) {
        throw error(errc::invalid_argument,
                    "plain pcap holds one link type, but " + interfaces_.front().name +
                        " has link type " + std::to_string(merged.link_type) + " and " + d.name +
                        " has " + std::to_string(d.link_type) + "; use pcapng (drop --pcap)");
      }
      merged.name += "," + d.name;
      merged.description += "; " + d.description;
    }
    interfaces_ = {merged};
  }
  const fs::path dir =
      settings_.output.parent_path().empty() ? fs::path(".") : settings_.output.parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw error(errc::not_found, "output folder " + dir.string() + " does not exist");
  }
  refuse_existing(next_path());
  const std::uint64_t available = free_bytes(dir);
  if (available < settings_.min_free_bytes + mib) {
    throw error(errc::no_space, "only " + in_mib(available) + " free on " + dir.string() +
                                    " (the guard keeps " + in_mib(settings_.min_free_bytes) +
                                    " free); not starting a capture there");
  }
  last_check_ = std::chrono::steady_clock::now();
  open_next();
}

capture_output::~capture_output() { abandon(); }

fs::path capture_output::next_path() const {
  if (settings_.rotate_bytes || settings_.rotate_seconds) {
    return rotated_name(settings_.output, sequence_ + 1);
  }
  return settings_.output;
}

void capture_output::open_next() {
  fs::path p = next_path();
  refuse_existing(p);
  current_ = std::make_unique<open_file>(p, settings_.format);
  ++sequence_;
  current_->writer->begin(settings_.section, interfaces_);
}

void capture_output::close_current(const std::vector<interface_counters>* statistics) {
  if (!current_) return;
  auto f = std::move(current_);
  if (statistics) {
    for (std::size_t i = 0; i < statistics->size() && i < interfaces_.size(); ++i) {
      f->writer->write_statistics(static_cast<std::uint32_t>(i), (*statistics)[i]);
    }
  }
  f->writer->flush();
  f->hash.finish();  // fsyncs and closes the .partial file
  rename_no_replace(partial_of(f->path), f->path);

  capture_file done;
  done.path = f->path;
  done.sha256 = f->hash.hex_digest();
  done.bytes = f->hash.bytes();
  done.packets = f->packets;
  done.sha256_path = sidecar_of(f->path);
  {
    const fs::path tmp = partial_of(done.sha256_path);
    io::file_sink side(tmp);
    const std::string line = done.sha256 + "  " + f->path.filename().string() + "\n";
    side.write(io::as_bytes(line));
    side.finish();
    rename_no_replace(tmp, done.sha256_path);
  }
  finished_bytes_ += done.bytes;
  files_.push_back(done);
  if (settings_.on_file) settings_.on_file(files_.back());
}

std::optional<output_stop> capture_output::check_space(std::uint64_t upcoming) {
  written_since_check_ += upcoming;
  // The clock is read only when the bytes do not already decide: per packet, it was 5% of
  // the capture's CPU. (tick() calls this every 100 ms, so the interval still holds.)
  if (written_since_check_ < recheck_bytes &&
      (upcoming > 0 || std::chrono::steady_clock::now() - last_check_ < recheck_interval)) {
    return std::nullopt;
  }
  const auto now = std::chrono::steady_clock::now();
  written_since_check_ = 0;
  last_check_ = now;
  const fs::path dir =
      settings_.output.parent_path().empty() ? fs::path(".") : settings_.output.parent_path();
  const std::uint64_t available = free_bytes(dir);
  // What is still buffered and what may arrive before the next check must fit too.
  const std::uint64_t needed = settings_.min_free_bytes + recheck_bytes + (2 * mib);
  if (available < needed) {
    return output_stop{stop_reason::disk_space,
                       "stopped before filling the disk: " + in_mib(available) + " free on " +
                           dir.string() + ", the guard keeps " + in_mib(settings_.min_free_bytes) +
                           " free"};
  }
  return std::nullopt;
}

std::optional<output_stop> capture_output::write(std::uint32_t interface_id,
                                                 std::chrono::nanoseconds ts,
                                                 std::span<const std::byte> data,
                                                 std::uint32_t original_length) {
  const std::uint64_t record = current_->writer->record_size(data.size());
  if (current_->packets > 0) {
    const bool size_due =
        settings_.rotate_bytes && current_->writer->bytes() + record > *settings_.rotate_bytes;
    const bool time_due =
        settings_.rotate_seconds &&
        std::chrono::steady_clock::now() - current_->opened >= *settings_.rotate_seconds;
    if (size_due || time_due) {
      close_current(nullptr);
      open_next();
    }
  }
  if (settings_.max_total_bytes) {
    // Keep room for the statistics blocks written at the end.
    const std::uint64_t reserve = 100 * interfaces_.size();
    if (finished_bytes_ + current_->writer->bytes() + record + reserve >
        *settings_.max_total_bytes) {
      return output_stop{stop_reason::total_bytes_cap,
                         "total size cap of " + in_mib(*settings_.max_total_bytes) + " reached"};
    }
  }
  if (auto stop = check_space(record)) return stop;
  if (settings_.format == output_format::pcap) interface_id = 0;
  current_->writer->write_packet(interface_id, ts, data, original_length);
  ++current_->packets;
  return std::nullopt;
}

std::string capture_output::add_interface(const interface_description& interface) {
  if (settings_.format == output_format::pcap) {
    if (interface.link_type != interfaces_.front().link_type) {
      return "plain pcap holds one link type (" + std::to_string(interfaces_.front().link_type) +
             "), " + interface.name + " has link type " + std::to_string(interface.link_type);
    }
    interfaces_.front().name += "," + interface.name;
    return "";
  }
  interfaces_.push_back(interface);
  if (current_) current_->writer->add_interface(interface);
  return "";
}

std::optional<output_stop> capture_output::tick() {
  if (current_ && current_->packets > 0 && settings_.rotate_seconds &&
      std::chrono::steady_clock::now() - current_->opened >= *settings_.rotate_seconds) {
    close_current(nullptr);
    open_next();
  }
  return check_space(0);
}

std::vector<capture_file> capture_output::finish(
    const std::vector<interface_counters>& statistics) {
  close_current(settings_.format == output_format::pcapng ? &statistics : nullptr);
  return files_;
}

void capture_output::abandon() noexcept {
  try {
    close_current(nullptr);
  } catch (...) {
    // The file stays ".partial": incomplete evidence is never given the final name.
    current_.reset();
  }
}

}  // namespace forensic::capture::detail
