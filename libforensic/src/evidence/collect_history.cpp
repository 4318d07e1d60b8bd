// The "events" artifact: the engine's history of the container (its events, and those of every
// container created, started, exec'd into or removed since it was created), and the engine's
// own files for it when the engine runs on this host.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "evidence/collection.hpp"
#include "forensic/engine/events.hpp"
#include "forensic/engine/host_files.hpp"
#include "forensic/error.hpp"
#include "forensic/io/time.hpp"
#include "forensic/io/unique_fd.hpp"

namespace forensic::evidence::detail {
namespace {

using clock = std::chrono::system_clock;

// What any container did on the engine that matters next to this one: siblings started
// through a mounted docker.sock, commands exec'd into it or them.
constexpr const char* lifecycle_actions[] = {"create",     "start", "exec_create",
                                             "exec_start", "die",   "destroy"};

std::string rfc3339_nanos(std::int64_t nanos) {
  const std::time_t s = static_cast<std::time_t>(nanos / 1000000000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%09lldZ", static_cast<long long>(nanos % 1000000000));
  return std::string(buf) + frac;
}

std::string rfc3339_of(const struct timespec& t) {
  return rfc3339_nanos(static_cast<std::int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec);
}

// Both queries of one pass: the container's own events, and the lifecycle of every container.
std::vector<engine::event> one_pass(collection& c) {
  const auto created = io::parse_rfc3339(c.target.created);
  if (!created) {
    throw error(errc::parse,
                "the container's creation time '" + c.target.created + "' is not an RFC 3339 time");
  }
  const auto since = *created;
  const auto until = clock::now();
  auto own = engine::events(c.engine, {since, until, {{"container", c.target.id}}});
  engine::event_query all{since, until, {{"type", "container"}}};
  for (const char* action : lifecycle_actions) all.filters.emplace_back("event", action);
  auto lifecycle = engine::events(c.engine, all);
  own.insert(own.end(), std::make_move_iterator(lifecycle.begin()),
             std::make_move_iterator(lifecycle.end()));
  return own;
}

// Oldest first, each event once: the engine serializes one event the same way every time, so
// an event in both queries (or both passes) has the same line.
std::vector<engine::event> merged(std::vector<engine::event> events) {
  std::stable_sort(events.begin(), events.end(),
                   [](const auto& a, const auto& b) { return a.time_nano < b.time_nano; });
  std::set<std::string> seen;
  std::vector<engine::event> out;
  for (auto& e : events) {
    if (seen.insert(e.raw).second) out.push_back(std::move(e));
  }
  return out;
}

// What the engine's bounded memory may have lost: visible as a missing "create" of this
// container and as the time of the oldest event obtained, next to the time it was created.
std::string coverage(const collection& c, const std::vector<engine::event>& events) {
  const bool has_create = std::any_of(events.begin(), events.end(), [&](const auto& e) {
    return e.type == "container" && e.action == "create" && e.actor_id == c.target.id;
  });
  std::string text = std::to_string(events.size()) + " engine events since the container was " +
                     "created at " + c.target.created;
  if (events.empty()) {
    text += "; the engine returned none for that window";
  } else {
    text += "; oldest obtained " + rfc3339_nanos(events.front().time_nano) + ", newest " +
            rfc3339_nanos(events.back().time_nano);
  }
  if (has_create) return text + "; its create event is among them (no gap)";
  return text +
         "; its create event is NOT among them: the engine keeps a bounded history in memory "
         "(256 or 1000 events) and none across a restart, so events between its creation and " +
         "the oldest obtained are missing";
}

struct copy_outcome {
  nlohmann::json entry;
  bool failed = false;
};

nlohmann::json stat_json(const struct stat& st) {
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return {{"uid", st.st_uid},
          {"gid", st.st_gid},
          {"mode", mode},
          {"inode", st.st_ino},
          {"size", st.st_size},
          {"mtime", rfc3339_of(st.st_mtim)},
          {"ctime", rfc3339_of(st.st_ctim)}};
}

// One engine file, byte for byte. Reads leave its atime alone (O_NOATIME: the access times of
// the engine's files are evidence too). Read errors are the file's own (recorded in its entry);
// errors writing the bundle end the step.
copy_outcome copy_host_file(collection& c, const std::string& source, const std::string& relative) {
  copy_outcome out;
  out.entry = {{"source", source}, {"path", relative}};
  const auto fail = [&](const std::string& what, int err) {
    out.entry["error"] = what + ": " + std::strerror(err);
    out.failed = err != ENOENT;  // gone since listed: a rotation dropped it
    if (err == ENOENT) out.entry["vanished"] = true;
    return out;
  };
  const std::string started = io::rfc3339_now();
  const int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
  io::unique_fd fd(::open(source.c_str(), flags | O_NOATIME));
  out.entry["atime_preserved"] = true;
  if (!fd && errno == EPERM) {  // O_NOATIME needs ownership or CAP_FOWNER
    fd.reset(::open(source.c_str(), flags));
    out.entry["atime_preserved"] = false;
  }
  if (!fd) return fail("cannot open " + source, errno);
  struct stat before {};
  if (::fstat(fd.get(), &before) != 0) return fail("cannot stat " + source, errno);
  out.entry.update(stat_json(before));
  if (!S_ISREG(before.st_mode)) {
    out.entry["error"] = source + " is not a regular file";
    out.failed = true;
    return out;
  }
  auto file = c.bundle->create(relative);
  auto sink = c.with_progress("events", *file);
  std::vector<std::byte> block(256 * 1024);
  std::uint64_t copied = 0;
  for (;;) {
    const ssize_t n = ::read(fd.get(), block.data(), block.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("cannot read " + source, errno);  // the partial copy is dropped
    if (n == 0) break;
    sink->write({block.data(), static_cast<std::size_t>(n)});
    copied += static_cast<std::uint64_t>(n);
  }
  sink->finish();
  // A second look once copied: a log the container writes to grows while it is read, and the
  // engine may rotate it away (the path then names another inode).
  struct stat after {
  }, now{};
  const bool stat_ok = ::fstat(fd.get(), &after) == 0;
  const bool replaced = ::lstat(source.c_str(), &now) != 0 || now.st_ino != before.st_ino;
  const bool changed = !stat_ok || after.st_size != before.st_size ||
                       after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
                       after.st_mtim.tv_nsec != before.st_mtim.tv_nsec ||
                       copied != static_cast<std::uint64_t>(before.st_size);
  out.entry["sha256"] = file->record().sha256;
  out.entry["bytes_copied"] = copied;
  out.entry["changed_while_read"] = changed;
  out.entry["replaced_while_read"] = replaced;
  if (stat_ok) {
    out.entry["after"] = {{"size", after.st_size}, {"mtime", rfc3339_of(after.st_mtim)}};
  }
  c.add_artifact(
      "events", file->record(), started,
      "host: " + source + (out.entry["atime_preserved"].get<bool>() ? " (O_NOATIME)" : ""));
  return out;
}

void collect_host_files(collection& c) {
  const std::string started = io::rfc3339_now();
  const auto listed = engine::list_container_host_files(c.engine, c.target.id, c.raw_inspect);
  nlohmann::json doc;
  std::vector<std::string> problems;
  if (!listed.on_this_host) {
    doc = {{"collected", false}, {"reason", listed.reason}};
    c.custody->note("engine files not collected: " + listed.reason);
  } else {
    nlohmann::json files = nlohmann::json::array();
    std::set<std::string> taken;
    for (const auto& path : listed.paths) {
      std::string name = std::filesystem::path(path).filename().string();
      while (!taken.insert(name).second) name = "_" + name;  // a log kept outside the directory
      auto outcome = copy_host_file(c, path, "engine/files/" + name);
      if (outcome.failed) problems.push_back(outcome.entry.value("error", path));
      files.push_back(std::move(outcome.entry));
    }
    doc = {{"collected", true},
           {"root_dir", listed.root_dir},
           {"directory", listed.directory},
           {"log_path", listed.log_path},
           {"files", std::move(files)}};
  }
  c.add_artifact("events",
                 c.bundle->write_file(
                     "engine/files.json",
                     doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"),
                 started, "host: stat of the engine's files for the container");
  if (!problems.empty()) {
    c.custody->note("engine files not read: " + nlohmann::json(problems).dump());
  }
}

}  // namespace

void take_early_events(collection& c) {
  c.early_events = merged(one_pass(c));
  c.custody->note("engine events, first pass (before the collection changed anything): " +
                  std::to_string(c.early_events.size()) + " events");
}

void collect_events(collection& c) {
  const std::string started = io::rfc3339_now();
  auto events = one_pass(c);
  events.insert(events.end(), std::make_move_iterator(c.early_events.begin()),
                std::make_move_iterator(c.early_events.end()));
  c.early_events.clear();
  events = merged(std::move(events));
  std::string text;
  for (const auto& e : events) text += e.raw + "\n";
  const std::string covered = coverage(c, events);
  c.custody->note(covered);
  c.add_artifact("events", c.bundle->write_file("engine/events.jsonl", text), started,
                 "GET /v" + c.engine.api_version() +
                     "/events since the container's creation until now, filtered by container "
                     "and by type=container with event=create,start,exec_create,exec_start,die,"
                     "destroy; taken before the first step and after the last, merged: " +
                     covered);
  collect_host_files(c);
}

}  // namespace forensic::evidence::detail
