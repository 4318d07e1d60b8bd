// The artifacts of a collection, one function each (orchestration: collector.cpp).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>
#include <utility>

#include "evidence/attribution.hpp"
#include "evidence/collection.hpp"
#include "evidence/custody_facts.hpp"
#include "evidence/saved_image.hpp"
#include "forensic/engine/logs.hpp"
#include "forensic/engine/operations.hpp"
#include "forensic/engine/requests.hpp"
#include "forensic/error.hpp"
#include "forensic/evidence/deep_paths.hpp"
#include "forensic/io/no_atime.hpp"
#include "forensic/io/time.hpp"
#include "forensic/net/links.hpp"
#include "forensic/proc/escape_audit.hpp"
#include "forensic/proc/membership.hpp"
#include "forensic/proc/processes.hpp"
#include "forensic/proc/root_files.hpp"

namespace forensic::evidence::detail {
namespace {

// Files a responder looks at first; read inside the container's root only (root_files.hpp).
constexpr const char* key_files[] = {
    "/etc/passwd",
    "/etc/shadow",
    "/etc/group",
    "/etc/sudoers",
    "/etc/hosts",
    "/etc/resolv.conf",
    "/etc/crontab",
    "/etc/ld.so.preload",
    "/root/.ash_history",
    "/root/.bash_history",
    "/root/.ssh/authorized_keys",
    "/var/spool/cron/crontabs/root",
};

// Bundle JSON holds names the container chose (its interface names, process fields): they need
// not be UTF-8, and a plain dump() would throw on them and lose the whole artifact.
std::string pretty(const nlohmann::json& doc) {
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string read_small(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_errno("cannot read " + path, errno);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int running_pid(const collection& c) {
  if (c.target.pid <= 0) {
    throw error(errc::conflict, "container " + c.target.name() + " is not running (state " +
                                    c.target.state + "): it has no processes");
  }
  return c.target.pid;
}

}  // namespace

void collect_image(collection& c) {
  const std::string image = c.target.image_id;
  if (image.empty()) throw error(errc::not_found, "the container names no image id");
  c.stream_to_file("image", "engine/image-inspect.json", engine::image_inspect_request(image));
  c.stream_to_file("image", "engine/image-history.json", engine::image_history_request(image));
}

void collect_processes(collection& c) {
  if (!host_side_allowed(c, "processes")) return;
  const std::string started = io::rfc3339_now();
  const int init = running_pid(c);
  nlohmann::json list = nlohmann::json::array();
  const auto members = proc::members_of_container(init);
  std::vector<int> member_pids;
  for (const auto& member : members) member_pids.push_back(member.pid);
  for (const auto& member : members) {
    const int pid = member.pid;
    auto p = proc::read_process(pid);
    if (!p) continue;  // exited between the listing and the read
    const std::string dir = "processes/" + std::to_string(pid) + "/";
    const std::string base = "/proc/" + std::to_string(pid);
    try {
      const std::string t = io::rfc3339_now();
      c.add_artifact("processes", c.bundle->write_file(dir + "maps", read_small(base + "/maps")), t,
                     base + "/maps");
    } catch (const error& e) {
      p->errors.push_back(std::string("maps: ") + e.what());
    }
    if (p->exe_deleted) {
      // The only copy of an implant that deleted itself: keep the running image.
      try {
        const std::string t = io::rfc3339_now();
        io::unique_fd fd =
            io::open_no_atime(AT_FDCWD, (base + "/exe").c_str(), O_RDONLY | O_CLOEXEC);
        if (!fd) throw_errno("cannot open " + base + "/exe", errno);
        auto f = c.bundle->create(dir + "exe");
        proc::copy_file(fd.get(), *f, 1ull << 30, base + "/exe");
        f->finish();
        c.add_artifact("processes", f->record(), t, base + "/exe (deleted from disk)");
      } catch (const error& e) {
        if (e.kind() == errc::no_space) throw;
        p->errors.push_back(std::string("exe copy: ") + e.what());
      }
    }
    auto entry = proc::to_json(*p);
    entry.update(proc::to_json(member));  // how it was found, and whether it came from outside
    list.push_back(std::move(entry));
  }
  nlohmann::json doc = {{"container_id", c.target.id},
                        {"init_pid", init},
                        {"boot_time", proc::boot_time()},
                        {"processes", std::move(list)}};
  c.add_artifact("processes", c.bundle->write_file("processes/processes.json", pretty(doc)),
                 started, "/proc/<pid>/{cgroup,ns,stat,status,cmdline,environ,cwd,exe,fd}");
  // What the kernel lets these processes do to the host (escape_audit.hpp).
  const std::string audited = io::rfc3339_now();
  const auto audit = proc::audit_container(init, c.target.id, member_pids);
  c.add_artifact("processes",
                 c.bundle->write_file("processes/escape-audit.json", pretty(proc::to_json(audit))),
                 audited,
                 "/proc/<pid>/{status,attr,ns/user}, /proc/" + std::to_string(init) +
                     "/{mountinfo,uid_map,root/dev} against /proc/1/mountinfo");
}

void collect_files(collection& c) {
  if (!host_side_allowed(c, "files")) return;
  const std::string root = "/proc/" + std::to_string(running_pid(c)) + "/root";
  const std::string listed_at = io::rfc3339_now();
  nlohmann::json absent = nlohmann::json::array();
  nlohmann::json copied = nlohmann::json::array();
  for (const char* path : key_files) {
    const std::string started = io::rfc3339_now();
    try {
      io::unique_fd fd = proc::open_in_root(root, path);  // absent: no empty artifact
      // Before the first read: reading can move the atime the auditor asks about.
      nlohmann::json facts = file_metadata(fd.get(), std::string(path) + " inside " + root);
      auto f = c.bundle->create(std::string("files") + path);
      proc::copy_file(fd.get(), *f, 64u << 20, std::string(path) + " inside " + root);
      f->finish();
      c.add_artifact("files", f->record(), started,
                     std::string(path) + " via openat2(" + root + ", RESOLVE_IN_ROOT)");
      facts["path"] = path;
      facts["bundle_path"] = f->record().path;
      facts["sha256"] = f->record().sha256;
      copied.push_back(std::move(facts));
    } catch (const error& e) {
      if (e.kind() == errc::no_space) throw;
      absent.push_back({{"path", path}, {"reason", e.what()}});
    }
  }
  if (!absent.empty()) c.custody->note("files not collected: " + absent.dump());
  const nlohmann::json doc = {{"files", std::move(copied)}, {"absent", std::move(absent)}};
  c.add_artifact("files", c.bundle->write_file("files/files.json", pretty(doc)), listed_at,
                 "fstat of each file opened inside " + root + ", before it was read");
}

void collect_logs(collection& c) {
  const std::string started = io::rfc3339_now();
  const engine::request req = engine::container_logs_request(c.target.id);
  if (c.target.tty) {  // no frames: one raw stream, there is no stdout/stderr split
    c.stream_to_file("logs", "logs/tty.log", req);
    return;
  }
  auto out = c.bundle->create("logs/stdout.log");
  auto err = c.bundle->create("logs/stderr.log");
  engine::log_demuxer demux(out.get(), err.get());
  auto sink = c.with_progress("logs", demux);
  c.engine.call(req, *sink);  // observed: the custody entry hashes the framed body
  out->finish();
  err->finish();
  c.add_artifact("logs", out->record(), started, c.source_of(req) + " (stream 1, demultiplexed)");
  c.add_artifact("logs", err->record(), started, c.source_of(req) + " (stream 2, demultiplexed)");
}

void collect_diff(collection& c) {
  c.stream_to_file("diff", "engine/diff.json", engine::container_changes_request(c.target.id));
}

namespace {

std::string shortened(const std::string& path) {
  return path.size() <= 160 ? path : path.substr(0, 80) + "..." + path.substr(path.size() - 60);
}

// What the engine's export cannot hold (deep_paths.hpp), taken from the host: only for overlay2,
// whose writable layer is a host directory the inspect names.
void collect_deep_paths(collection& c) {
  const auto doc = nlohmann::json::parse(c.raw_inspect, nullptr, false);
  const auto driver = doc.is_object() ? doc.value("GraphDriver", nlohmann::json::object())
                                      : nlohmann::json::object();
  const auto data = driver.is_object() ? driver.value("Data", nlohmann::json::object())
                                       : nlohmann::json::object();
  const auto field = [&](const char* key) {
    return data.is_object() && data.contains(key) && data[key].is_string()
               ? data[key].get<std::string>()
               : std::string();
  };
  const std::string upper = field("UpperDir"), merged = field("MergedDir");
  // The layer is a path on the engine's host: read here only when that is this host, and the
  // engine is proven to describe this host's processes truthfully.
  if (!host_side_allowed(c, "export", "paths too deep for the engine (deep-paths.tar)")) return;
  if (upper.empty()) {
    c.custody->note("deep paths not checked: the storage driver names no writable layer");
    return;
  }
  struct stat layer {};
  if (::lstat(upper.c_str(), &layer) != 0 && errno == ENOENT) {
    // Removed with the container (dockerd kept it only until its export was done): nothing is
    // left to read.
    c.custody->note("deep paths not checked: the writable layer is gone (container removed)");
    return;
  }
  const std::string started = io::rfc3339_now();
  std::unique_ptr<evidence_file> file;
  deep_paths_summary found;
  try {
    found = archive_deep_paths(
        upper, merged.size(),
        [&]() -> io::byte_sink& {
          file = c.bundle->create("filesystem/deep-paths.tar");
          return *file;
        },
        c.options.cancel_flag);
  } catch (const error& e) {
    if (e.kind() == errc::no_space || e.kind() == errc::cancelled) throw;
    // Not io: that would end the whole collection for one unreadable corner of the layer.
    throw error(errc::archive, std::string("paths too long for the engine: ") + e.what());
  }
  if (file) {
    file->finish();
    c.add_artifact("export", file->record(), started,
                   "host: " + upper + " walked by directory fds (paths of PATH_MAX bytes or more)");
  }
  if (found.entries == 0 && found.skipped.empty()) return;
  // "can": an engine that exports from inside a chroot reaches a little deeper than its root
  // path allows for; these are the entries no engine can be counted on for.
  std::string what = "the engine's export can leave out " + std::to_string(found.entries) +
                     " entries (" + std::to_string(found.bytes) +
                     " bytes) whose paths from its root are PATH_MAX bytes or longer";
  if (!found.tops.empty()) what += ", from " + shortened(found.tops.front());
  if (found.entries > 0) what += "; they are in filesystem/deep-paths.tar, read from the host";
  if (!found.skipped.empty()) {
    what += "; " + std::to_string(found.skipped.size()) +
            " not archived, first: " + shortened(found.skipped.front());
  }
  throw error(errc::engine_error, what);
}

}  // namespace

void collect_export(collection& c) {
  c.stream_to_file("export", "filesystem/export.tar",
                   engine::container_export_request(c.target.id));
  collect_deep_paths(c);
}

namespace {

// The repository and tag both ways of saving the image give it: `docker load` restores them.
std::string image_reference(const collection& c) {
  const std::string repo =
      "forensic/" + file_name_safe(c.options.case_id) + "-" + file_name_safe(c.target.name());
  std::string reference;
  for (char ch : repo) reference += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return reference + ":" + io::format_compact_utc();
}

// The image's labels: the container's, carried over, and the case's.
nlohmann::json image_labels(const collection& c) {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& [k, v] : c.target.labels) labels[k] = v;
  labels["forensic.case"] = c.options.case_id;
  labels["forensic.collected_at"] = c.record.started;
  labels["forensic.container_id"] = c.target.id;
  labels["forensic.operator"] = c.record.operator_name;
  return labels;
}

// The engine's way, when there is no export in the bundle to build the image from: commit the
// container into the engine's storage, save the image, remove it unless asked to keep it.
void commit_through_engine(collection& c, const std::string& reference) {
  const auto& o = c.options;
  engine::commit_options commit;
  commit.repo = reference.substr(0, reference.rfind(':'));
  commit.tag = reference.substr(reference.rfind(':') + 1);
  commit.comment = "forensic evidence, case " + o.case_id;
  const nlohmann::json labels = image_labels(c);
  for (const auto& [k, v] : labels.items()) commit.labels[k] = v.get<std::string>();
  const std::string image_id = engine::commit(c.engine, c.target.id, commit);
  c.custody->note("committed image " + image_id + " as " + reference);
  try {
    // Saved by name so that `docker load -i` restores the tag as well as the layers.
    c.stream_to_file("commit", "image/commit.tar", engine::image_save_request(reference));
  } catch (const error&) {
    // Not left behind for a save that failed either; the save's error is the one that counts.
    if (!o.keep_commit_image) {
      try {
        engine::remove_image(c.engine, image_id);
        c.custody->note("removed committed image " + image_id + " after its save failed");
      } catch (const error& e) {
        c.custody->note("committed image " + image_id + " could not be removed: " + e.what());
      }
    }
    throw;
  }
  if (o.keep_commit_image) {
    c.custody->note("committed image " + image_id +
                    " kept in the engine (asked with --keep-image)");
    return;
  }
  try {
    engine::remove_image(c.engine, image_id);
  } catch (const error& e) {
    throw error(e.kind(), "image/commit.tar is saved, but the committed image " + reference + " (" +
                              image_id + ") could not be removed from the engine: " + e.what() +
                              "; remove it with `docker rmi " + image_id + "`");
  }
  c.custody->note("removed committed image " + image_id +
                  " from the engine once saved in image/commit.tar");
}

// Architecture and OS of the container's image, from the image inspect the bundle holds, else
// from the engine.
std::pair<std::string, std::string> image_platform(collection& c) {
  const auto& files = c.bundle->files();
  if (files.count("engine/image-inspect.json")) {
    try {
      const auto doc = nlohmann::json::parse(
          read_small((c.bundle->directory() / "engine/image-inspect.json").string()), nullptr,
          false);
      if (doc.is_object() && doc.value("Architecture", nlohmann::json()).is_string() &&
          doc.value("Os", nlohmann::json()).is_string()) {
        return {doc["Architecture"].get<std::string>(), doc["Os"].get<std::string>()};
      }
    } catch (const error&) {
      // fall through to the engine's own platform
    }
  }
  const auto& v = c.engine.version();
  return {v.arch.empty() ? "amd64" : v.arch, v.os.empty() ? "linux" : v.os};
}

}  // namespace

void collect_commit(collection& c) {
  const std::string reference = image_reference(c);
  const auto exported = c.bundle->files().find("filesystem/export.tar");
  if (exported == c.bundle->files().end()) {
    commit_through_engine(c, reference);
    return;
  }
  // The export is the container's whole filesystem at the moment it was taken (paused): as the
  // single layer of an image it is what a commit would hold, without writing it into the engine.
  const std::string started = io::rfc3339_now();
  const auto doc = nlohmann::json::parse(c.raw_inspect, nullptr, false);
  nlohmann::json config =
      doc.is_object() ? doc.value("Config", nlohmann::json::object()) : nlohmann::json::object();
  if (!config.is_object()) config = nlohmann::json::object();
  config["Labels"] = image_labels(c);
  saved_image image;
  image.reference = reference;
  image.config = std::move(config);
  std::tie(image.architecture, image.os) = image_platform(c);
  image.created = io::rfc3339_now();
  image.created_by = "ir-collect: filesystem/export.tar of container " + c.target.id;
  image.comment = "forensic evidence, case " + c.options.case_id;
  const auto& layer = exported->second;
  const std::string layer_path = (c.bundle->directory() / layer.path).string();
  io::unique_fd fd(::open(layer_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("cannot open " + layer_path, errno);
  auto file = c.bundle->create("image/commit.tar");
  auto sink = c.with_progress("commit", *file);
  const std::string image_id =
      write_saved_image(fd.get(), layer.size, layer.sha256, image, *sink, c.options.cancel_flag);
  sink->finish();
  c.add_artifact("commit", file->record(), started,
                 "filesystem/export.tar as the layer of image " + image_id + " (" + reference +
                     "), docker save format");
  c.custody->note("image " + image_id + " written as " + reference +
                  " from the export; nothing was committed into the engine");
}

std::string file_name_safe(std::string_view text) {
  std::string out;
  for (char ch : text) {
    const bool ok =
        std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '-';
    out += ok ? ch : '_';
  }
  if (out.empty() || out.front() == '.' || out.front() == '-') out.insert(0, "x");
  return out;
}

}  // namespace forensic::evidence::detail
