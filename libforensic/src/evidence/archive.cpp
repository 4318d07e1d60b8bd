#include "forensic/evidence/archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

#include "evidence/tar_output.hpp"
#include "forensic/error.hpp"
#include "forensic/io/file_sink.hpp"
#include "forensic/io/hashing_sink.hpp"
#include "forensic/io/unique_fd.hpp"
#include "io/c_handles.hpp"

namespace forensic::evidence {
namespace fs = std::filesystem;
namespace {

using detail::check;
using detail::tar_output;
using detail::write_file_data;
using io::archive_entry_ptr;
using io::archive_reader;

void add_entry(tar_output& out, const fs::path& full, const std::string& name,
               std::vector<char>& block) {
  struct stat st {};
  if (::lstat(full.c_str(), &st) != 0) throw_errno("cannot stat " + full.string(), errno);
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    throw error(errc::archive, full.string() + " is neither a file nor a directory");
  }
  archive_entry_ptr e(archive_entry_new());
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_filetype(e.get(), S_ISDIR(st.st_mode) ? AE_IFDIR : AE_IFREG);
  archive_entry_set_perm(e.get(), st.st_mode & 07777);
  archive_entry_set_uid(e.get(), st.st_uid);
  archive_entry_set_gid(e.get(), st.st_gid);
  archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  archive_entry_set_size(e.get(), S_ISREG(st.st_mode) ? st.st_size : 0);
  out.check(archive_write_header(out.get(), e.get()), "cannot add " + name);
  if (!S_ISREG(st.st_mode)) return;
  io::unique_fd fd(::open(full.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) throw_errno("cannot open " + full.string(), errno);
  write_file_data(out, fd.get(), UINT64_MAX, block, name);
}

}  // namespace

archive_format parse_archive_format(std::string_view name) {
  if (name == "tar") return archive_format::tar;
  if (name == "tar.zst" || name == "tar.zstd") return archive_format::tar_zst;
  throw error(errc::invalid_argument,
              "unknown archive format '" + std::string(name) + "' (use tar or tar.zst)");
}

const char* extension(archive_format f) { return f == archive_format::tar ? ".tar" : ".tar.zst"; }

packed_archive pack_bundle(const fs::path& bundle_dir, archive_format format) {
  fs::path dir = fs::absolute(bundle_dir).lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();  // "bundle/" names the same directory
  const std::string top = dir.filename().string();
  std::vector<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    names.push_back(fs::relative(e.path(), dir).generic_string());
  }
  std::sort(names.begin(), names.end());  // byte order: the same bundle gives the same bytes

  packed_archive out;
  out.path = dir.parent_path() / (top + extension(format));
  out.checksum = out.path;
  out.checksum += ".sha256";
  fs::path partial = out.path;
  partial += ".partial";
  {
    io::file_sink file(partial, 0600);
    io::hashing_sink hasher(&file);
    tar_output tar(hasher);
    archive* a = tar.get();
    check(a, archive_write_set_format_pax_restricted(a), "tar format");
    if (format == archive_format::tar_zst) {
      check(a, archive_write_add_filter_zstd(a), "zstd filter");
    }
    check(a, archive_write_set_bytes_per_block(a, 10240), "block size");
    if (format == archive_format::tar_zst) {
      // Padding the last block with zeros would append garbage after the zstd frame.
      check(a, archive_write_set_bytes_in_last_block(a, 1), "last block");
    }
    tar.open("cannot open " + partial.string());
    std::vector<char> block(1 << 20);  // one read buffer for every file
    add_entry(tar, dir, top + "/", block);
    for (const auto& n : names) add_entry(tar, dir / n, top + "/" + n, block);
    tar.close("cannot finish " + partial.string());
    hasher.finish();
    out.sha256 = hasher.hex_digest();
  }
  if (::rename(partial.c_str(), out.path.c_str()) != 0) {
    throw_errno("cannot rename " + partial.string(), errno);
  }
  io::file_sink sums(out.checksum, 0600);
  sums.write(io::as_bytes(out.sha256 + "  " + out.path.filename().string() + "\n"));
  sums.finish();
  return out;
}

void read_archive(
    const fs::path& path,
    const std::function<void(const std::string&, long long, const archive_body&)>& on_file) {
  archive_reader a(archive_read_new());
  if (!a) throw error(errc::archive, "cannot allocate an archive reader");
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  check(a.get(), archive_read_open_filename(a.get(), path.c_str(), 1 << 20),
        "cannot open " + path.string());
  archive_entry* e = nullptr;
  for (;;) {
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    check(a.get(), rc, "cannot read " + path.string());
    const char* name = archive_entry_pathname(e);
    const std::string entry = name ? name : "";
    const auto type = archive_entry_filetype(e);
    if (type == AE_IFDIR) continue;
    if (type != AE_IFREG) {
      on_file(entry, -1, {});
      continue;
    }
    archive_body body = [&](io::byte_sink& sink) {
      const void* buf = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      for (;;) {
        int r = archive_read_data_block(a.get(), &buf, &size, &offset);
        if (r == ARCHIVE_EOF) break;
        check(a.get(), r, "cannot read " + entry + " in " + path.string());
        sink.write({static_cast<const std::byte*>(buf), size});
      }
    };
    on_file(entry, archive_entry_size(e), body);
  }
}

}  // namespace forensic::evidence
