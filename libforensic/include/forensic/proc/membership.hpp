#pragma once
// Which host processes belong to a container, as the kernel sees it rather than as the engine
// reports it. Every process in /proc is compared with the container's init on four grounds,
// each a `found_by` marker:
//   "cgroup"               its cgroup is the init's or below it (one hierarchy is compared:
//                          the unified one when the init has a path there, else pids, else
//                          memory, else the first with a path other than "/");
//   "pid_namespace"        /proc/<pid>/ns/pid is the init's;
//   "nested_pid_namespace" its pid namespace is a descendant of the init's (NSpid has more
//                          levels; confirmed by walking up with the NS_GET_PARENT ioctl), as
//                          after `unshare -fp` inside the container;
//   "mnt_namespace"        /proc/<pid>/ns/mnt is the init's.
// A namespace that is the host's own (pid 1's or the caller's, as with --pid host) identifies
// nothing and is not compared. A process found through a namespace but outside the container's
// cgroup was put there from outside (nsenter, setns from a host process) and is flagged
// `entered_from_outside`; so is a process of another container when this one shares that
// container's pid namespace (--pid container:X): its `cgroup` then names the other container.
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace forensic::proc {

struct container_member {
  int pid = 0;                        // host pid
  std::vector<std::string> found_by;  // markers above, in that order
  bool entered_from_outside = false;
  std::string cgroup;  // its path in the compared hierarchy ("" when unreadable)
};

// The members of the container whose init is `init_pid`, sorted by pid. Processes that exit
// while being compared are left out. Throws errc::not_found when the init is gone.
std::vector<container_member> members_of_container(int init_pid,
                                                   const std::string& proc_root = "/proc");

// {"found_by": [...], "entered_from_outside": bool, "cgroup": "..."}: the fields these add to a
// processes/processes.json entry (docs/bundle.md).
nlohmann::json to_json(const container_member& m);

}  // namespace forensic::proc
