// The steps that read a container's files from the host: its MAC times (bodyfile) and what is
// mounted into it besides its image (mounts). Orchestration: collector.cpp.
#include "evidence/collect_mounts.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "evidence/attribution.hpp"
#include "evidence/mount_archive.hpp"
#include "evidence/tree_walk.hpp"
#include "forensic/error.hpp"
#include "forensic/evidence/bodyfile.hpp"
#include "forensic/evidence/mounts.hpp"
#include "forensic/io/no_atime.hpp"
#include "forensic/io/time.hpp"
#include "forensic/proc/mountinfo.hpp"
#include "forensic/proc/root_files.hpp"

namespace forensic::evidence::detail {
namespace {

bool asked(const collect_options& o, const char* artifact) {
  return o.artifacts.empty() ||
         std::find(o.artifacts.begin(), o.artifacts.end(), artifact) != o.artifacts.end();
}

bool engine_is_local(const collection& c) {
  return c.engine.where().kind == engine::endpoint::transport::unix_socket;
}

std::string mib(std::uint64_t bytes) {
  return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB";
}

std::string upper_dir(const collection& c) {
  const auto doc = nlohmann::json::parse(c.raw_inspect, nullptr, false);
  if (!doc.is_object() || !doc.contains("GraphDriver")) return {};
  const auto& driver = doc["GraphDriver"];
  if (!driver.is_object() || !driver.contains("Data") || !driver["Data"].is_object()) return {};
  const auto& data = driver["Data"];
  return data.contains("UpperDir") && data["UpperDir"].is_string()
             ? data["UpperDir"].get<std::string>()
             : std::string();
}

ino_t mount_namespace(const std::string& pid) {
  struct stat st {};
  return ::stat(("/proc/" + pid + "/ns/mnt").c_str(), &st) == 0 ? st.st_ino : 0;
}

// The mounts of the running container, planned (mounts.hpp). Throws errc::conflict when they
// cannot be read from here.
std::vector<container_mount> plan(const collection& c) {
  if (!engine_is_local(c)) {
    throw error(errc::conflict,
                "mounts not read: the engine is not on this host's socket (its "
                "container's processes and mounts are on its own host)");
  }
  if (c.target.pid <= 0) {
    throw error(errc::conflict, "mounts not read: container " + c.target.name() +
                                    " is not running (state " + c.target.state +
                                    "), its mount table is gone");
  }
  const std::string pid = std::to_string(c.target.pid);
  // A pid that is not the container's (a reused one, an engine that lies) must not make us
  // copy the host's own mounts.
  if (mount_namespace(pid) == mount_namespace("self")) {
    throw error(errc::conflict,
                "mounts not read: process " + pid + " shares this host's mount namespace");
  }
  const auto inspect = nlohmann::json::parse(c.raw_inspect, nullptr, false);
  return plan_container_mounts(proc::read_mountinfo(c.target.pid), inspect,
                               c.options.mount_copy_system);
}

std::string container_root(const collection& c) {
  return "/proc/" + std::to_string(c.target.pid) + "/root";
}

// The mount's root seen through the container's root (never leaving it), or an empty fd and
// `why` when the place no longer holds this mount (covered, moved).
io::unique_fd open_mount(const collection& c, const container_mount& m, std::string& why) {
  io::unique_fd fd = proc::locate_in_root(container_root(c), m.destination);
  struct statx st {};
  if (const int err = stat_entry(fd.get(), "", st)) {
    why = std::string("cannot stat: ") + std::strerror(err);
    return {};
  }
  if ((st.stx_mask & STATX_MNT_ID) && st.stx_mnt_id != m.mount_id) {
    why = m.destination + " inside the container is another mount now (moved or covered)";
    return {};
  }
  return fd;
}

// The size of a bind mount that is not copied, when that is cheap: a single file (a directory
// would have to be walked).
void note_size(const collection& c, const container_mount& m, nlohmann::json& j) {
  if (m.type != "bind" || m.mount_id == 0) return;
  try {
    io::unique_fd fd = proc::locate_in_root(container_root(c), m.destination);
    struct statx st {};
    if (stat_entry(fd.get(), "", st) == 0 && !S_ISDIR(st.stx_mode)) {
      j["size"] = st.stx_size;
      j["mode"] = mode_string(st.stx_mode);
    }
  } catch (const error&) {
    // Listed without a size: what matters is that it is listed.
  }
}

std::string tar_name(const container_mount& m) {
  std::string name = m.destination;
  while (!name.empty() && name.front() == '/') name.erase(0, 1);
  return "mounts/" + std::to_string(m.index) + "-" + file_name_safe(name) + ".tar";
}

std::string first_of(const std::vector<std::string>& list) {
  return list.empty() ? std::string() : ", first: " + list.front();
}

}  // namespace

void collect_bodyfile(collection& c) {
  if (!engine_is_local(c)) {
    c.custody->note("bodyfile not taken: the engine is not on this host's socket");
    return;
  }
  // The layer and the mounts are read as the container's only when its pid is proven to be.
  if (!host_side_allowed(c, "bodyfile")) return;
  const std::string started = io::rfc3339_now();
  std::unique_ptr<evidence_file> file;
  const auto sink = [&]() -> io::byte_sink& {
    if (!file) file = c.bundle->create("filesystem/bodyfile.txt");
    return *file;
  };
  std::vector<std::string> sources, problems;
  // A walk that fails part way keeps the lines written so far: they are right, only incomplete.
  const auto walk = [&](int fd, const std::string& prefix) {
    try {
      auto s = write_bodyfile(fd, prefix, sink(), c.options.cancel_flag);
      problems.insert(problems.end(), s.skipped.begin(), s.skipped.end());
    } catch (const error& e) {
      if (e.kind() == errc::cancelled || e.kind() == errc::no_space) throw;
      problems.push_back((prefix.empty() ? std::string("/") : prefix) + ": " + e.what());
    }
  };
  if (asked(c.options, "export")) {
    const std::string upper = upper_dir(c);
    io::unique_fd layer;
    int err = 0;
    if (!upper.empty()) {
      layer = io::open_no_atime(AT_FDCWD, upper.c_str(),
                                O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      err = errno;
    }
    if (layer) {
      walk(layer.get(), "");
      sources.push_back("host: " + upper + " (writable layer)");
    } else {
      c.custody->note("bodyfile: writable layer not walked: " +
                      (upper.empty() ? std::string("the storage driver names no UpperDir")
                                     : upper + ": " + std::strerror(err)));
    }
  }
  if (asked(c.options, "mounts")) {
    try {
      for (const auto& m : plan(c)) {
        if (!m.copy) continue;
        std::string why;
        io::unique_fd fd;
        try {
          fd = open_mount(c, m, why);
        } catch (const error& e) {
          if (e.kind() == errc::cancelled) throw;
          why = e.what();
        }
        if (!fd) {
          problems.push_back(m.destination + ": " + why);
          continue;
        }
        walk(fd.get(), m.destination);
      }
      sources.push_back("openat2(" + container_root(c) + ", RESOLVE_IN_ROOT) per copied mount");
    } catch (const error& e) {
      if (e.kind() == errc::cancelled || e.kind() == errc::no_space) throw;
      c.custody->note(std::string("bodyfile: mounts not walked: ") + e.what());
    }
  }
  if (!file) return;
  file->finish();
  std::string source = "statx only, before any content is read: ";
  for (std::size_t i = 0; i < sources.size(); ++i) source += (i ? "; " : "") + sources[i];
  c.add_artifact("bodyfile", file->record(), started, source);
  if (!problems.empty()) {
    c.custody->note("bodyfile: " + std::to_string(problems.size()) + " entries without times" +
                    first_of(problems));
  }
}

void collect_mounts(collection& c) {
  if (engine_is_local(c) && !host_side_allowed(c, "mounts")) return;
  const std::string started = io::rfc3339_now();
  std::vector<container_mount> mounts;
  try {
    mounts = plan(c);
  } catch (const error&) {
    // A stopped container with nothing mounted has nothing to miss.
    if (c.target.pid <= 0 && c.target.mounts.empty()) {
      c.custody->note("mounts: none (the container is not running and the engine names none)");
      return;
    }
    throw;
  }
  const std::string root = container_root(c);
  nlohmann::json list = nlohmann::json::array();
  std::vector<std::string> problems;
  for (const auto& m : mounts) {
    nlohmann::json j = to_json(m);
    j["tar"] = nullptr;
    if (!m.copy) {
      note_size(c, m, j);
      list.push_back(std::move(j));
      continue;
    }
    const std::string t = io::rfc3339_now();
    try {
      std::string why;
      io::unique_fd fd = open_mount(c, m, why);
      if (!fd) throw error(errc::conflict, why);
      std::string name = m.destination.substr(1);
      auto file = c.bundle->create(tar_name(m));
      auto s = archive_mount(fd.get(), name, *file, c.options.mount_limit, c.options.cancel_flag);
      file->finish();
      c.add_artifact("mounts", file->record(), t,
                     "openat2(" + root + ", \"" + m.destination +
                         "\", RESOLVE_IN_ROOT) walked by directory fds");
      j["tar"] = file->record().path;
      j["entries"] = s.entries;
      j["bytes"] = s.bytes;
      j["skipped"] = s.skipped;
      if (s.left_out_files > 0) {
        const std::string what =
            m.destination + ": " + std::to_string(s.left_out_files) + " files (" +
            std::to_string(s.left_out_bytes) + " bytes) left out, over the limit of " +
            mib(c.options.mount_limit) + " per mount (--mount-limit)" + first_of(s.left_out_first);
        j["left_out"] = {
            {"files", s.left_out_files}, {"bytes", s.left_out_bytes}, {"first", s.left_out_first}};
        c.custody->note("mounts: " + what);
        problems.push_back(what);
      }
    } catch (const error& e) {
      if (e.kind() == errc::cancelled || e.kind() == errc::no_space) throw;
      j["copied"] = false;
      j["error"] = e.what();
      problems.push_back(m.destination + ": " + e.what());
    }
    list.push_back(std::move(j));
  }
  const nlohmann::json doc = {{"container_id", c.target.id},
                              {"init_pid", c.target.pid},
                              {"limit_bytes", c.options.mount_limit},
                              {"mounts", std::move(list)}};
  c.add_artifact("mounts",
                 c.bundle->write_file(
                     "mounts/mounts.json",
                     doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"),
                 started, "/proc/" + std::to_string(c.target.pid) + "/mountinfo and the inspect");
  if (!problems.empty()) {
    // Not io: that would end the whole collection for one unreadable mount.
    throw error(errc::archive, std::to_string(problems.size()) +
                                   " mounts not wholly copied: " + problems.front() +
                                   (problems.size() > 1 ? " (all in mounts/mounts.json)" : ""));
  }
}

}  // namespace forensic::evidence::detail
