// The "memory" artifact: an ELF core per process of the container (proc/memory.hpp), read from
// the host while the container is frozen (the collector runs it among the paused steps), and
// memory/memory.json describing each.
#include <nlohmann/json.hpp>

#include "evidence/attribution.hpp"
#include "evidence/collection.hpp"
#include "forensic/error.hpp"
#include "forensic/io/time.hpp"
#include "forensic/proc/membership.hpp"
#include "forensic/proc/memory.hpp"

namespace forensic::evidence::detail {
namespace {

std::string pretty(const nlohmann::json& doc) {
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string mib(std::uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

}  // namespace

void collect_memory(collection& c) {
  const std::string started = io::rfc3339_now();
  // Refused (remote engine, unproven pid): the manifest lists memory as not collected, with the
  // reason, and nothing of this host is read.
  if (!host_side_allowed(c, "memory")) return;
  if (c.target.pid <= 0) {
    throw error(errc::conflict, "container " + c.target.name() + " is not running (state " +
                                    c.target.state + "): it has no memory to read");
  }
  const int init = c.target.pid;
  const std::uint64_t limit = c.options.memory_limit;
  std::uint64_t used = 0;
  bool limit_reached = false;
  std::vector<std::string> problems;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& member : proc::members_of_container(init)) {
    const int pid = member.pid;
    const std::string path = "memory/" + std::to_string(pid) + ".core";
    const std::string t = io::rfc3339_now();
    nlohmann::json entry;
    try {
      auto file = c.bundle->create(path);
      auto sink = c.with_progress("memory", *file);
      proc::core_options o;
      o.byte_budget = limit - used;
      o.cancel_flag = c.options.cancel_flag;
      const proc::core_dump d = proc::write_core(pid, *sink, o);
      sink->finish();
      c.add_artifact("memory", file->record(), t,
                     "/proc/" + std::to_string(pid) + "/maps + /proc/" + std::to_string(pid) +
                         "/mem (pread, no attach)");
      used += d.memory_bytes;
      limit_reached |= d.limit_reached;
      entry = proc::to_json(d);
      entry["core"] = file->record().path;
      entry["sha256"] = file->record().sha256;
    } catch (const error& e) {
      // The bundle's own failures end the collection; the process's are recorded.
      if (e.kind() == errc::cancelled || e.kind() == errc::no_space || e.kind() == errc::io) throw;
      // Exited between the listing and the read: nothing left to take, and no failure.
      const bool gone = e.kind() == errc::not_found;
      entry = {{"pid", pid}, {"core", nullptr}, {"error", e.what()}, {"exited", gone}};
      if (!gone) problems.push_back("pid " + std::to_string(pid) + ": " + e.what());
    }
    entry.update(proc::to_json(member));  // how it was found (cgroup, pid namespace, ...)
    list.push_back(std::move(entry));
  }
  if (limit_reached) {
    c.custody->note("memory: the limit of " + mib(limit) +
                    " (--memory-limit) was reached; mappings past it are listed in "
                    "memory/memory.json as skipped, not read");
    problems.push_back("--memory-limit of " + mib(limit) +
                       " reached: mappings past it were not read");
  }
  const nlohmann::json doc = {{"collected", true},
                              {"container_id", c.target.id},
                              {"init_pid", init},
                              {"pause", c.record.pause},
                              {"limit_bytes", limit},
                              {"memory_bytes", used},
                              {"limit_reached", limit_reached},
                              {"processes", std::move(list)}};
  c.add_artifact("memory", c.bundle->write_file("memory/memory.json", pretty(doc)), started,
                 "/proc/<pid>/{maps,mem,stat,status,auxv,task} of each process of the container");
  if (!problems.empty()) {
    throw error(errc::conflict, "memory not wholly read: " + problems.front() +
                                    (problems.size() > 1 ? " (all in memory/memory.json)" : ""));
  }
}

}  // namespace forensic::evidence::detail
