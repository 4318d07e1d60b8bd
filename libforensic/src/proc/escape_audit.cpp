#include "forensic/proc/escape_audit.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "forensic/error.hpp"
#include "forensic/io/no_atime.hpp"
#include "forensic/proc/mountinfo.hpp"
#include "forensic/proc/root_files.hpp"
#include "io/dir_entries.hpp"
#include "proc/proc_files.hpp"
#include "text/json_members.hpp"

namespace forensic::proc {
namespace {

constexpr const char* capability_table[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};

// The capabilities that open a way out of a container (none is in the engine's default set).
constexpr const char* risky_capabilities[] = {
    "SYS_ADMIN", "SYS_MODULE",   "SYS_PTRACE", "DAC_READ_SEARCH", "NET_ADMIN",
    "BPF",       "SYS_RAWIO",    "PERFMON",    "SYS_BOOT",        "SYS_TIME",
    "MAC_ADMIN", "MAC_OVERRIDE", "SYSLOG",
};

// Host paths that hand the host over. `below`: a path under it counts too (/etc/shadow);
// `above`: a directory above it counts too (/var/lib holds /var/lib/docker).
struct sensitive_path {
  const char* path;
  const char* flag;
  bool below;
  bool above;
};
constexpr sensitive_path sensitive_paths[] = {
    {"/", "HOST-ROOT-MOUNT", false, false},
    {"/etc", "HOST-ETC-MOUNT", true, false},
    {"/proc", "HOST-PROC-MOUNT", true, false},
    {"/sys", "HOST-SYS-MOUNT", true, false},
    {"/dev", "HOST-DEV-MOUNT", true, false},
    {"/var/lib/docker", "DOCKER-DATA-MOUNT", false, true},
    {"/run/docker.sock", "DOCKER-SOCK", false, true},
    {"/var/run/docker.sock", "DOCKER-SOCK", false, true},
    {"/run/containerd/containerd.sock", "CONTAINERD-SOCK", false, true},
    {"/var/run/containerd/containerd.sock", "CONTAINERD-SOCK", false, true},
    {"/run/docker/containerd/containerd.sock", "CONTAINERD-SOCK", false, true},  // dockerd's own
};

constexpr const char* flag_order[] = {
    "SECCOMP-UNCONFINED", "APPARMOR-UNCONFINED", "ROOT-NO-USERNS",  "HOST-ROOT-MOUNT",
    "HOST-ETC-MOUNT",     "HOST-PROC-MOUNT",     "HOST-SYS-MOUNT",  "HOST-DEV-MOUNT",
    "DOCKER-DATA-MOUNT",  "DOCKER-SOCK",         "CONTAINERD-SOCK", "DEVICES",
};

// Is `path` equal to `dir` or below it?
bool under(std::string_view path, std::string_view dir) {
  if (dir == "/") return true;
  return path == dir ||
         (path.size() > dir.size() && path.substr(0, dir.size()) == dir && path[dir.size()] == '/');
}

std::uint64_t hex_mask(const std::string& status, std::string_view key) {
  std::string v = status_field(status, key);
  v.erase(0, v.find_first_not_of(" \t"));
  std::uint64_t out = 0;
  std::from_chars(v.data(), v.data() + v.size(), out, 16);
  return out;
}

int int_field(const std::string& status, std::string_view key, int missing) {
  std::string v = status_field(status, key);
  v.erase(0, v.find_first_not_of(" \t"));
  int out = missing;
  if (v.empty()) return missing;
  std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0' || s.back() == ' ')) s.pop_back();
  return s;
}

bool read_privileges(int pid, process_privileges& p, const audit_host& host) {
  const auto status = read_short_lines(pid_path(pid, "status"));
  if (!status) return false;
  p.pid = pid;
  // status's Name is the comm file's text unless the kernel escaped a newline or a backslash
  // in it: only then is the comm file read.
  std::string name = status_field(*status, "Name");
  if (name.starts_with('\t')) name.erase(0, 1);
  p.comm = !name.empty() && name.find('\\') == std::string::npos
               ? trimmed(std::move(name))
               : trimmed(read_short_lines(pid_path(pid, "comm")).value_or(""));
  std::istringstream uids(status_field(*status, "Uid"));
  std::uint32_t real = 0;
  uids >> real >> p.euid;
  p.cap_effective = hex_mask(*status, "CapEff");
  p.cap_bounding = hex_mask(*status, "CapBnd");
  p.no_new_privs = int_field(*status, "NoNewPrivs", 0) == 1;
  p.seccomp = int_field(*status, "Seccomp", -1);
  // The LSM-specific file first (Linux 5.1+: it names AppArmor's label even when another LSM
  // owns attr/current).
  std::optional<std::string> label;
  if (host.apparmor_attr) label = read_short_lines(pid_path(pid, "attr/apparmor/current"));
  if (!label && host.current_attr) label = read_short_lines(pid_path(pid, "attr/current"));
  p.apparmor = trimmed(label.value_or(""));
  return true;
}

std::uint64_t device_key(unsigned major, unsigned minor) {
  return (std::uint64_t{major} << 32) | minor;
}

// Where a container mount's filesystem root is on the host: the host mount of the same device
// whose root is the longest prefix of it, plus the rest of the path.
std::string host_path_of(const mount_entry& m, const audit_host& host) {
  const auto same_device = host.by_device.find(device_key(m.major, m.minor));
  if (same_device == host.by_device.end()) return {};
  const mount_entry* best = nullptr;
  for (const std::size_t k : same_device->second) {
    const mount_entry& h = host.mounts[k];
    if (!under(m.root, h.root)) continue;
    if (!best || h.root.size() > best->root.size() ||
        (h.root.size() == best->root.size() && h.mount_point.size() < best->mount_point.size())) {
      best = &h;
    }
  }
  if (!best) return {};
  const std::string rest = best->root == "/" ? m.root : m.root.substr(best->root.size());
  if (rest.empty() || rest == "/") return best->mount_point;
  return best->mount_point == "/" ? rest : best->mount_point + rest;
}

// The engine's own mounts of the host's sysfs and cgroup hierarchies, read-only at /sys: every
// container has them (with the host's network, /sys is the host's sysfs).
bool engine_default_mount(const mount_entry& m) {
  if (!m.read_only()) return false;
  if (m.fstype == "sysfs") return m.mount_point == "/sys";
  if (m.fstype == "cgroup" || m.fstype == "cgroup2") return under(m.mount_point, "/sys/fs/cgroup");
  return false;
}

const char* exposure(const std::string& host_path) {
  for (const auto& s : sensitive_paths) {
    if (host_path == s.path || (s.below && under(host_path, s.path)) ||
        (s.above && host_path != "/" && under(s.path, host_path))) {
      return s.flag;
    }
  }
  return nullptr;
}

bool default_device(char type, unsigned major, unsigned minor) {
  if (type != 'c') return false;
  if (major == 1) return minor == 3 || minor == 5 || minor == 7 || minor == 8 || minor == 9;
  if (major == 5) return minor <= 2;    // tty, console, ptmx
  return major >= 136 && major <= 143;  // /dev/pts/N (a console bound from a pty)
}

// Device nodes below the container's /dev (`dir`, open for reading), without following links.
void list_devices(int dir, const std::string& prefix, int depth, std::vector<device_node>& out) {
  io::dir_entries entries(dir);
  while (const dirent64* e = entries.next()) {
    // The entry's type from the directory itself: only device nodes (and entries whose type
    // the filesystem does not give) need a stat for their numbers; links are never followed.
    const unsigned char type = e->d_type;
    if (type != DT_UNKNOWN && type != DT_DIR && type != DT_CHR && type != DT_BLK) continue;
    const std::string path = prefix + "/" + e->d_name;
    struct stat st {};
    bool is_dir = type == DT_DIR;
    if (!is_dir) {
      if (::fstatat(dir, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      is_dir = S_ISDIR(st.st_mode);
    }
    if (is_dir) {
      if (depth >= 3 || path == "/dev/pts" || path == "/dev/shm" || path == "/dev/mqueue") continue;
      const io::unique_fd sub =
          io::open_no_atime(dir, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub) list_devices(sub.get(), path, depth + 1, out);
      continue;
    }
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) continue;
    device_node d{path, S_ISCHR(st.st_mode) ? 'c' : 'b', ::major(st.st_rdev), ::minor(st.st_rdev)};
    if (!default_device(d.type, d.major, d.minor)) out.push_back(std::move(d));
  }
}

void add_flag(std::set<std::string>& flags, const std::string& f) { flags.insert(f); }

std::vector<std::string> ordered(const std::set<std::string>& flags) {
  std::vector<std::string> out;
  for (const char* cap : risky_capabilities) {
    if (flags.count(std::string("CAP_") + cap)) out.push_back(std::string("CAP_") + cap);
  }
  for (const char* f : flag_order) {
    if (flags.count(f)) out.push_back(f);
  }
  return out;
}

std::string seccomp_name(int mode) {
  switch (mode) {
    case 0:
      return "disabled";
    case 1:
      return "strict";
    case 2:
      return "filter";
    default:
      return "unknown";
  }
}

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::vector<std::string> capability_names(std::uint64_t mask) {
  std::vector<std::string> out;
  for (unsigned bit = 0; bit < 64; ++bit) {
    if (!(mask & (std::uint64_t{1} << bit))) continue;
    out.push_back(bit < std::size(capability_table) ? capability_table[bit]
                                                    : "CAP_" + std::to_string(bit));
  }
  return out;
}

audit_host read_audit_host() {
  audit_host host;
  try {
    host.mounts = read_mountinfo(1);
  } catch (const error& e) {
    host.mounts_error = e.what();
  }
  for (std::size_t k = 0; k < host.mounts.size(); ++k) {
    host.by_device[device_key(host.mounts[k].major, host.mounts[k].minor)].push_back(k);
  }
  host.apparmor_enabled =
      trimmed(read_file("/sys/module/apparmor/parameters/enabled").value_or("")) == "Y";
  // The host's user namespace: pid 1's, or ours when pid 1's is hidden from us (a sandboxed
  // responder host); we run as root in the host's namespace either way.
  const char* host_pid = "1";
  host.user_namespace = ns_inode("/proc/1/ns/user");
  if (host.user_namespace == 0) {
    host_pid = "self";
    host.user_namespace = ns_inode("/proc/self/ns/user");
  }
  host.uid_map =
      trimmed(read_short_lines(std::string("/proc/") + host_pid + "/uid_map").value_or(""));
  // Which attribute files exist is the kernel's build and boot choice, so our own tell.
  host.apparmor_attr = read_short_lines("/proc/self/attr/apparmor/current") || errno != ENOENT;
  host.current_attr = read_short_lines("/proc/self/attr/current") || errno != EINVAL;
  return host;
}

escape_audit audit_container(int init_pid, std::string_view container_id,
                             const std::vector<int>& more_pids) {
  return audit_container(init_pid, container_id, more_pids, read_audit_host());
}

std::vector<escape_audit> audit_containers(const std::vector<audit_target>& targets) {
  std::vector<escape_audit> out(targets.size());
  if (targets.empty()) return out;
  const audit_host host = read_audit_host();
  // Two threads take the next target each, so that neither waits while the other has work.
  std::atomic<std::size_t> next{0};
  auto run = [&] {
    for (std::size_t k; (k = next.fetch_add(1)) < targets.size();) {
      out[k] = audit_container(targets[k].init_pid, targets[k].container_id, {}, host);
    }
  };
  std::future<void> other;
  if (targets.size() > 1) other = std::async(std::launch::async, run);
  run();
  if (other.valid()) other.get();
  return out;
}

struct audit_queue::state {
  std::mutex mutex;
  std::condition_variable wake;       // the worker: a target, close() or the destructor
  std::condition_variable host_read;  // close(): the worker has read the host
  std::condition_variable done;       // take(): an audit is done
  bool closing = false;               // close() was called
  bool stopping = false;              // the destructor: what is left is dropped
  bool host_ready = false;
  audit_host host;                    // written once, before host_ready
  std::vector<audit_target> targets;  // every target taken or to take, in order
  // One audit per target: a deque, so that the slot a thread writes outside the lock keeps its
  // address while targets are added (or those not taken are dropped) at the end.
  std::deque<escape_audit> audits;
  std::deque<bool> finished;  // per target: its audit is written
  std::size_t next = 0;       // the first target not yet taken
  std::thread worker;
  // Set by close(): the target of each of the caller's, how many of the caller's name it, and
  // how many targets had been taken before (their audits came before the caller's list).
  std::vector<std::size_t> slot;
  std::vector<std::size_t> uses;
  std::size_t started = 0;

  // Audits the next target not yet taken. Lock held on entry and on return.
  void audit_next(std::unique_lock<std::mutex>& lock) {
    const std::size_t k = next++;
    const audit_target target = targets[k];
    escape_audit& out = audits[k];
    lock.unlock();
    out = audit_container(target.init_pid, target.container_id, {}, host);
    lock.lock();
    finished[k] = true;
    done.notify_all();
  }

  // Audits the targets not yet taken, one at a time, until none is left.
  void drain(std::unique_lock<std::mutex>& lock) {
    while (!stopping && next < targets.size()) audit_next(lock);
  }

  void work() {
    // While the targets come in, the engine is answering the caller's list call on the same
    // cores: the worker takes only CPU time nobody else wants, until close().
    const sched_param none{};
    ::pthread_setschedparam(::pthread_self(), SCHED_IDLE, &none);
    audit_host read = read_audit_host();
    std::unique_lock lock(mutex);
    // close() may have come before this thread's first step: its audits are wanted now.
    if (closing) ::pthread_setschedparam(::pthread_self(), SCHED_OTHER, &none);
    host = std::move(read);
    host_ready = true;
    host_read.notify_all();
    for (;;) {
      wake.wait(lock, [&] { return stopping || closing || next < targets.size(); });
      drain(lock);
      if (stopping || closing) return;
    }
  }
};

audit_queue::audit_queue() : state_(std::make_unique<state>()) {
  state_->worker = std::thread([s = state_.get()] { s->work(); });
}

audit_queue::~audit_queue() {
  if (!state_->worker.joinable()) return;  // finish() joined it
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_all();
  state_->worker.join();
}

void audit_queue::add(audit_target target) {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->closing) return;
    state_->targets.push_back(std::move(target));
    state_->audits.emplace_back();
    state_->finished.push_back(false);
  }
  state_->wake.notify_one();
}

void audit_queue::close(const std::vector<audit_target>& wanted) {
  state& s = *state_;
  std::unique_lock lock(s.mutex);
  s.closing = true;
  s.started = s.next;
  s.slot.assign(wanted.size(), 0);
  // Audits taken already (done or in progress) serve the same pid and id; the targets not
  // taken give way to the caller's list.
  std::vector<std::size_t> to_add;
  {
    std::map<std::pair<int, std::string_view>, std::size_t> taken;
    for (std::size_t k = 0; k < s.next; ++k) {
      taken.emplace(
          std::pair<int, std::string_view>(s.targets[k].init_pid, s.targets[k].container_id), k);
    }
    for (std::size_t j = 0; j < wanted.size(); ++j) {
      const auto it = taken.find({wanted[j].init_pid, wanted[j].container_id});
      if (it != taken.end()) {
        s.slot[j] = it->second;
      } else {
        to_add.push_back(j);
      }
    }
  }
  s.targets.resize(s.next);
  s.audits.resize(s.next);
  s.finished.resize(s.next);
  for (const std::size_t j : to_add) {
    s.slot[j] = s.targets.size();
    s.targets.push_back(wanted[j]);
    s.audits.emplace_back();
    s.finished.push_back(false);
  }
  s.uses.assign(s.targets.size(), 0);
  for (const std::size_t k : s.slot) ++s.uses[k];
  const sched_param none{};
  ::pthread_setschedparam(s.worker.native_handle(), SCHED_OTHER, &none);  // best effort
  s.wake.notify_all();
}

escape_audit audit_queue::take(std::size_t j) {
  state& s = *state_;
  std::unique_lock lock(s.mutex);
  const std::size_t k = s.slot.at(j);
  while (!s.finished[k]) {
    if (s.next < s.targets.size()) {
      // Not done yet: the next target not started is audited here meanwhile (this one, when
      // nobody has taken it).
      s.host_read.wait(lock, [&] { return s.host_ready; });
      if (s.next < s.targets.size()) s.audit_next(lock);
    } else {
      s.done.wait(lock, [&] { return s.finished[k]; });
    }
  }
  // An early audit that found the pid not the container's (or gone) was made before the
  // caller's list named that pid: it is made again rather than believed.
  if (k < s.started && !s.audits[k].collected) {
    const audit_target target = s.targets[k];
    lock.unlock();
    return audit_container(target.init_pid, target.container_id, {}, s.host);
  }
  // The same target named twice by the caller: a copy until its last use.
  return --s.uses[k] == 0 ? std::move(s.audits[k]) : s.audits[k];
}

std::vector<escape_audit> audit_queue::finish(const std::vector<audit_target>& wanted) {
  close(wanted);
  std::vector<escape_audit> out;
  out.reserve(wanted.size());
  for (std::size_t j = 0; j < wanted.size(); ++j) out.push_back(take(j));
  state_->worker.join();  // it has nothing left to take
  return out;
}

escape_audit audit_container(int init_pid, std::string_view container_id,
                             const std::vector<int>& more_pids, const audit_host& host) {
  escape_audit a;
  a.init_pid = init_pid;
  const auto cgroup = read_short_lines(pid_path(init_pid, "cgroup"));
  if (!cgroup) {
    a.reason = "pid " + std::to_string(init_pid) + " is gone (" + std::strerror(errno) + ")";
    return a;
  }
  const std::string owner = container_id_from_cgroup(*cgroup);
  if (owner != container_id) {
    a.reason = "/proc/" + std::to_string(init_pid) + "/cgroup on this host names " +
               (owner.empty() ? std::string("no container") : "container " + owner.substr(0, 12)) +
               ", not " + std::string(container_id.substr(0, 12));
    return a;
  }
  a.collected = true;
  std::set<std::string> flags;

  // Per process: capabilities, no_new_privs, seccomp, AppArmor, uid.
  a.apparmor_enabled = host.apparmor_enabled;
  const std::uint64_t host_userns = host.user_namespace;
  const std::uint64_t userns = ns_inode(pid_path(init_pid, "ns/user"));
  a.own_user_namespace = userns != 0 && host_userns != 0 && userns != host_userns;
  // The same namespace as the host's (no user namespace of its own) has the host's map.
  a.uid_map = userns != 0 && userns == host_userns && !host.uid_map.empty()
                  ? host.uid_map
                  : trimmed(read_short_lines(pid_path(init_pid, "uid_map")).value_or(""));
  std::vector<int> pids{init_pid};
  for (int p : more_pids) {
    if (p != init_pid) pids.push_back(p);
  }
  for (int pid : pids) {
    process_privileges p;
    if (!read_privileges(pid, p, host)) {
      if (pid == init_pid)
        a.errors.push_back("status of the init: " + std::string(std::strerror(errno)));
      continue;
    }
    for (const auto& cap : capability_names(p.cap_effective)) {
      if (std::find(std::begin(risky_capabilities), std::end(risky_capabilities), cap) !=
          std::end(risky_capabilities)) {
        add_flag(flags, "CAP_" + cap);
      }
    }
    if (p.seccomp == 0) add_flag(flags, "SECCOMP-UNCONFINED");
    if (a.apparmor_enabled &&
        (p.apparmor == "unconfined" || p.apparmor.find("(complain)") != std::string::npos)) {
      add_flag(flags, "APPARMOR-UNCONFINED");
    }
    const std::uint64_t own = pid == init_pid ? userns : ns_inode(pid_path(pid, "ns/user"));
    if (p.euid == 0 && own != 0 && own == host_userns) add_flag(flags, "ROOT-NO-USERNS");
    a.processes.push_back(std::move(p));
  }

  // Mounts, against the host's table.
  try {
    if (!host.mounts_error.empty()) throw error(errc::io, "the host's table: " + host.mounts_error);
    const auto mine = read_mountinfo(init_pid);
    // Mounts below one already listed come with it (-v /:/host binds recursively): listed once.
    std::set<std::uint64_t> listed;
    for (const auto& m : mine) {
      if (m.mount_point == "/") a.readonly_rootfs = m.read_only();  // the topmost one counts
      if (listed.count(m.parent_id)) {
        listed.insert(m.mount_id);
        continue;
      }
      if (engine_default_mount(m)) continue;
      const std::string host_path = host_path_of(m, host);
      if (host_path.empty()) continue;
      const char* flag = exposure(host_path);
      if (!flag) continue;
      listed.insert(m.mount_id);
      a.mounts.push_back({m.mount_point, host_path, m.fstype, m.read_only(), flag});
      add_flag(flags, flag);
    }
  } catch (const error& e) {
    a.errors.push_back(std::string("mountinfo: ") + e.what());
  }

  // Device nodes, through the container's root.
  try {
    const io::unique_fd dev = open_directory_in_root(pid_path(init_pid, "root"), "/dev");
    list_devices(dev.get(), "/dev", 0, a.devices);
    std::sort(a.devices.begin(), a.devices.end(),
              [](const device_node& x, const device_node& y) { return x.path < y.path; });
    if (!a.devices.empty()) add_flag(flags, "DEVICES");
  } catch (const error& e) {
    a.errors.push_back(std::string("/dev: ") + e.what());
  }
  a.flags = ordered(flags);
  return a;
}

nlohmann::json to_json(const escape_audit& a) {
  using members = text::json_members;
  if (!a.collected) return members().add("collected", false).add("reason", a.reason).take();
  nlohmann::json processes = nlohmann::json::array();
  for (const auto& p : a.processes) {
    processes.push_back(members()
                            .add("pid", p.pid)
                            .add("comm", p.comm)
                            .add("euid", p.euid)
                            .add("cap_effective", hex(p.cap_effective))
                            .add("cap_bounding", hex(p.cap_bounding))
                            .add("effective_capabilities", capability_names(p.cap_effective))
                            .add("no_new_privs", p.no_new_privs)
                            .add("seccomp", seccomp_name(p.seccomp))
                            .add("apparmor", p.apparmor)
                            .take());
  }
  nlohmann::json mounts = nlohmann::json::array();
  for (const auto& m : a.mounts) {
    mounts.push_back(members()
                         .add("mount_point", m.mount_point)
                         .add("host_path", m.host_path)
                         .add("fstype", m.fstype)
                         .add("read_only", m.read_only)
                         .add("flag", m.flag)
                         .take());
  }
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& d : a.devices) {
    devices.push_back(members()
                          .add("path", d.path)
                          .add("type", std::string(1, d.type))
                          .add("major", d.major)
                          .add("minor", d.minor)
                          .take());
  }
  const process_privileges init = a.processes.empty() ? process_privileges{} : a.processes[0];
  return members()
      .add("collected", true)
      .add("init_pid", a.init_pid)
      .add("flags", a.flags)
      .add("hardening",
           members()
               .add("no_new_privs", init.no_new_privs)
               .add("readonly_rootfs", a.readonly_rootfs)
               .add("user_namespace", a.own_user_namespace)
               .add("seccomp", seccomp_name(init.seccomp))
               .add("apparmor", a.apparmor_enabled ? init.apparmor : "not enabled on this host")
               .take())
      .add("user_namespace",
           members().add("own", a.own_user_namespace).add("uid_map", a.uid_map).take())
      .add("apparmor_enabled", a.apparmor_enabled)
      .add("processes", std::move(processes))
      .add("mounts", std::move(mounts))
      .add("devices", std::move(devices))
      .add("errors", a.errors)
      .take();
}

}  // namespace forensic::proc
