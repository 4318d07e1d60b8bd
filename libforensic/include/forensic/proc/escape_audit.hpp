#pragma once
// What a container could do to its host, as the kernel says it (not as the engine was asked):
// the effective capabilities, no_new_privs, seccomp mode and AppArmor label of its processes
// (/proc/<pid>/status, /proc/<pid>/attr), its user namespace, its mounts mapped back to the host
// paths they expose (/proc/<pid>/mountinfo against the host's, /proc/1/mountinfo), whether its
// root filesystem is read-only, and the device nodes in its /dev beyond the engine's defaults.
//
// Risk flags, in this order when present (docs/json.md):
//   CAP_SYS_ADMIN CAP_SYS_MODULE CAP_SYS_PTRACE CAP_DAC_READ_SEARCH CAP_NET_ADMIN CAP_BPF
//   CAP_SYS_RAWIO CAP_PERFMON CAP_SYS_BOOT CAP_SYS_TIME CAP_MAC_ADMIN CAP_MAC_OVERRIDE
//   CAP_SYSLOG    effective in one of the audited processes (CapEff)
//   SECCOMP-UNCONFINED    a process runs without a seccomp filter (Seccomp: 0)
//   APPARMOR-UNCONFINED   AppArmor is enabled on the host and a process is unconfined or in
//                         complain mode
//   ROOT-NO-USERNS        a process has uid 0 in the host's own user namespace
//   HOST-ROOT-MOUNT HOST-ETC-MOUNT HOST-PROC-MOUNT HOST-SYS-MOUNT HOST-DEV-MOUNT
//   DOCKER-DATA-MOUNT DOCKER-SOCK CONTAINERD-SOCK
//                         a mount exposes the host's /, /etc, /proc, /sys, /dev (or a path
//                         below those), /var/lib/docker, the engine's or containerd's socket
//                         (or a directory above those); the engine's own read-only sysfs and
//                         cgroup mounts at /sys are not counted
//   DEVICES               a device node in its /dev that the engine does not create by default
// no_new_privs, a read-only root filesystem and a user namespace of its own are hardening: they
// are reported as facts (`hardening`), their absence is the engine's default, not a flag.
#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "forensic/proc/mountinfo.hpp"

namespace forensic::proc {

struct process_privileges {
  int pid = 0;
  std::string comm;
  std::uint32_t euid = 0;
  std::uint64_t cap_effective = 0;  // CapEff
  std::uint64_t cap_bounding = 0;   // CapBnd
  bool no_new_privs = false;        // NoNewPrivs
  int seccomp = -1;                 // Seccomp: 0 disabled, 1 strict, 2 filter; -1 unknown
  std::string apparmor;             // attr/current ("docker-default (enforce)"); "" unknown
};

struct exposing_mount {
  std::string mount_point;  // in the container
  std::string host_path;    // what it is on the host
  std::string fstype;
  bool read_only = false;
  std::string flag;  // HOST-ROOT-MOUNT, DOCKER-SOCK, ...
};

struct device_node {
  std::string path;  // in the container: "/dev/fuse"
  char type = 'c';   // 'c' or 'b'
  unsigned major = 0;
  unsigned minor = 0;
};

struct escape_audit {
  bool collected = false;
  std::string reason;  // why not, when not collected
  int init_pid = 0;
  std::vector<process_privileges> processes;  // the init first
  bool own_user_namespace = false;
  std::string uid_map;
  bool apparmor_enabled = false;  // on the host
  bool readonly_rootfs = false;
  std::vector<exposing_mount> mounts;
  std::vector<device_node> devices;
  std::vector<std::string> flags;   // the order above
  std::vector<std::string> errors;  // what could not be read
};

// What every audit of this host compares against, read once per run: the host's mount table
// (it holds every container's mounts, so reading or scanning it whole per container would make
// auditing a host quadratic), indexed by device; whether AppArmor is enabled; the host's user
// namespace.
struct audit_host {
  std::vector<mount_entry> mounts;  // read_mountinfo(1)
  std::string mounts_error;         // why `mounts` is empty, when it could not be read
  bool apparmor_enabled = false;
  std::uint64_t user_namespace = 0;  // pid 1's, or ours when pid 1's is hidden from us
  std::string uid_map;               // that namespace's, the map of every process in it
  // The LSM attribute files this kernel has, the same for every process (a missing one would
  // cost every audit an open that fails): attr/apparmor/current, and attr/current giving a
  // label (without an LSM that names one, the kernel refuses the read).
  bool apparmor_attr = true;
  bool current_attr = true;
  // Indexes of `mounts` by device (major << 32 | minor).
  std::unordered_map<std::uint64_t, std::vector<std::size_t>> by_device;
};
audit_host read_audit_host();

// Audits the container whose init is host pid `init_pid`, and also `more_pids` (its other
// processes, membership.hpp) for the per-process facts. Nothing is read unless
// /proc/<init_pid>/cgroup names `container_id` (the full id): otherwise, or when the init is
// gone, `collected` is false with the reason. Never throws for what the kernel refuses.
escape_audit audit_container(int init_pid, std::string_view container_id,
                             const std::vector<int>& more_pids = {});
escape_audit audit_container(int init_pid, std::string_view container_id,
                             const std::vector<int>& more_pids, const audit_host& host);

// The audits of many containers (init pid, full id), in the given order, against one
// read_audit_host(), on two threads: the reads are the kernel's work, one container at a time.
struct audit_target {
  int init_pid = 0;
  std::string container_id;
};
std::vector<escape_audit> audit_containers(const std::vector<audit_target>& targets);

// Audits that start before their targets are confirmed. Targets are added from any thread as
// they become known (the engine's own records of running containers, read while its list call
// is in flight: engine::list_options::on_running_record); one worker thread reads the host
// once, then audits them in the order added, at idle priority (SCHED_IDLE) until finish(), so
// that it only takes CPU time the engine and the caller leave unused. Each audit is
// audit_container()'s, so a pid whose cgroup does not name the container gives an audit with
// `collected` false.
class audit_queue {
 public:
  audit_queue();
  ~audit_queue();  // stops the worker; what was not taken is dropped
  audit_queue(const audit_queue&) = delete;
  audit_queue& operator=(const audit_queue&) = delete;

  void add(audit_target target);

  // The audits of `targets`, in their order: the caller's final word on what it needs. A target
  // added earlier with the same pid and id is audited once (its audit, done or in progress, is
  // used when it was collected, and made again when not: it came before the caller knew the
  // pid); those added and not needed are dropped before they start; the others are audited by
  // the worker, back at normal priority, and the calling thread together. Takes no more
  // add(). Call once.
  std::vector<escape_audit> finish(const std::vector<audit_target>& targets);

  // finish() in steps, for a caller that uses each audit as soon as it has it (prints it, in
  // its order, while the worker audits the rest): close() takes the caller's targets as
  // finish() does and returns at once; take(j) then gives the audit of targets[j] (each j
  // once), auditing on the calling thread the next target not yet started while that one is
  // not done. Call close() once, instead of finish().
  void close(const std::vector<audit_target>& targets);
  escape_audit take(std::size_t j);

 private:
  struct state;
  std::unique_ptr<state> state_;
};

// Effective capability names ("SYS_ADMIN", ...) of a CapEff mask, lowest bit first.
std::vector<std::string> capability_names(std::uint64_t mask);

// {"collected": true, "init_pid", "flags", "hardening": {"no_new_privs", "readonly_rootfs",
// "user_namespace", "seccomp", "apparmor"}, "user_namespace": {"own", "uid_map"},
// "apparmor_enabled", "processes": [...], "mounts": [...], "devices": [...], "errors"} or
// {"collected": false, "reason"} (docs/json.md, the `kernel` object of ir-ps).
nlohmann::json to_json(const escape_audit& a);

}  // namespace forensic::proc
