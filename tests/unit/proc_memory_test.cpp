// Process memory as an ELF core: the maps parser, and a core of a shell this test starts (a
// marker it holds only in a variable is in the core; the headers describe every mapping), plus the
// capability names of the escape audit.
#include <doctest/doctest.h>
#include <elf.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "forensic/error.hpp"
#include "forensic/io/byte_sink.hpp"
#include "forensic/proc/escape_audit.hpp"
#include "forensic/proc/memory.hpp"

using namespace forensic;

TEST_CASE("memory: maps lines, with paths holding spaces and anonymous mappings") {
  const auto maps = proc::parse_maps(
      "00400000-00401000 r--p 00000000 fd:01 1234   /bin/busy box\n"
      "7ffd1000-7ffd3000 rw-p 00000000 00:00 0      [stack]\n"
      "7f0000000000-7f0000021000 rw-p 00000000 00:00 0 \n"
      "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]\n");
  REQUIRE(maps.size() == 4);
  CHECK(maps[0].start == 0x400000);
  CHECK(maps[0].size() == 0x1000);
  CHECK(maps[0].perms == "r--p");
  CHECK(maps[0].major == 0xfd);
  CHECK(maps[0].minor == 1);
  CHECK(maps[0].inode == 1234);
  CHECK(maps[0].path == "/bin/busy box");
  CHECK(maps[1].path == "[stack]");
  CHECK(maps[2].path.empty());
  CHECK(maps[3].end == 0xffffffffff601000ull);
  CHECK_THROWS_AS(proc::parse_maps("not a maps line\n"), error);
  CHECK_THROWS_AS(proc::parse_maps("2000-1000 r--p 0 00:00 0\n"), error);
}

TEST_CASE("memory: the core of a child holds what it keeps in its heap") {
  const std::string marker = "forensic-core-marker-" + std::to_string(::getpid());
  // The child is the host's busybox shell, not a fork of this test: a sanitizer build of the
  // test maps terabytes of shadow memory that a fork would inherit. The marker reaches it
  // through stdin only and stays in the shell's variable; "ready" says `read` has returned.
  int to_child[2], from_child[2];
  REQUIRE(::pipe(to_child) == 0);
  REQUIRE(::pipe(from_child) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::dup2(to_child[0], 0);
    ::dup2(from_child[1], 1);
    for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1]}) ::close(fd);
    ::execl("/bin/busybox", "busybox", "sh", "-c", "read x; echo ready; while :; do sleep 1; done",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(to_child[0]);
  ::close(from_child[1]);
  struct reap {
    pid_t pid;
    ~reap() {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  } reaper{child};
  const std::string line = marker + "\n";
  REQUIRE(::write(to_child[1], line.data(), line.size()) == static_cast<ssize_t>(line.size()));
  ::close(to_child[1]);
  char ready[6] = {};
  std::size_t got = 0;
  while (got < sizeof ready) {
    const ssize_t n = ::read(from_child[0], ready + got, sizeof ready - got);
    REQUIRE(n > 0);
    got += static_cast<std::size_t>(n);
  }
  ::close(from_child[0]);
  REQUIRE(std::string(ready, 5) == "ready");

  io::string_sink core(1u << 30);
  const auto d = proc::write_core(child, core);
  const std::string& bytes = core.str();
  CHECK(bytes.size() == d.core_size);
  CHECK(bytes.find(marker + '\0') != std::string::npos);
  CHECK(d.pid == child);
  CHECK(d.memory_bytes > 0);
  CHECK(!d.threads.empty());

  REQUIRE(bytes.size() > sizeof(Elf64_Ehdr));
  Elf64_Ehdr eh{};
  std::memcpy(&eh, bytes.data(), sizeof eh);
  CHECK(std::memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0);
  CHECK(eh.e_type == ET_CORE);
  CHECK(eh.e_phnum == d.mappings.size() + 1);
  Elf64_Phdr note{};
  std::memcpy(&note, bytes.data() + eh.e_phoff, sizeof note);
  CHECK(note.p_type == PT_NOTE);
  CHECK(note.p_offset + note.p_filesz <= bytes.size());
  std::uint64_t described = 0;
  for (std::size_t i = 0; i < d.mappings.size(); ++i) {
    Elf64_Phdr ph{};
    std::memcpy(&ph, bytes.data() + eh.e_phoff + (i + 1) * sizeof ph, sizeof ph);
    CHECK(ph.p_type == PT_LOAD);
    CHECK(ph.p_vaddr == d.mappings[i].mapping.start);
    CHECK(ph.p_memsz == d.mappings[i].mapping.size());
    CHECK(ph.p_filesz == d.mappings[i].bytes);
    CHECK(ph.p_offset + ph.p_filesz <= bytes.size());
    described += ph.p_filesz;
  }
  CHECK(described == d.memory_bytes);

  SUBCASE("a budget leaves the mappings past it out") {
    io::string_sink small(1u << 30);
    proc::core_options o;
    o.byte_budget = 8192;
    const auto cut = proc::write_core(child, small, o);
    CHECK(cut.limit_reached);
    CHECK(cut.memory_bytes <= 8192);
    CHECK(small.str().size() == cut.core_size);
    const auto j = proc::to_json(cut);
    CHECK(j["limit_reached"] == true);
    bool limited = false;
    for (const auto& m : j["mappings"]) limited |= m.value("skipped", "") == "memory limit reached";
    CHECK(limited);
  }
}

TEST_CASE("memory: a process that is gone is not_found") {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  io::string_sink core;
  try {
    proc::write_core(child, core);
    FAIL("a core of a reaped process");
  } catch (const error& e) {
    CHECK(e.kind() == errc::not_found);
  }
}

TEST_CASE("escape audit: capability names of a CapEff mask") {
  CHECK(proc::capability_names(0).empty());
  CHECK(proc::capability_names(1ull << 21) == std::vector<std::string>{"SYS_ADMIN"});
  // Docker's default set.
  const auto names = proc::capability_names(0xa80425fbull);
  CHECK(names.size() == 14);
  CHECK(std::find(names.begin(), names.end(), "SYS_ADMIN") == names.end());
  CHECK(std::find(names.begin(), names.end(), "NET_RAW") != names.end());
  CHECK(proc::capability_names(1ull << 39) == std::vector<std::string>{"BPF"});
}

TEST_CASE("escape audit: the host's side is read once, as every process would give it") {
  const auto host = proc::read_audit_host();
  CHECK(host.user_namespace != 0);
  // Our own map: this test runs in the host's user namespace, as the tools do.
  std::ifstream own("/proc/self/uid_map");
  std::string line;
  std::getline(own, line);
  const auto squeeze = [](std::string s) {
    s.erase(std::unique(s.begin(), s.end(), [](char a, char b) { return a == ' ' && b == ' '; }),
            s.end());
    return s;
  };
  CHECK(squeeze(host.uid_map) == squeeze(line));
  // The attribute files as the kernel has them for any process (pid 1's here).
  CHECK(host.apparmor_attr == std::filesystem::exists("/proc/1/attr/apparmor/current"));
  std::ifstream current("/proc/1/attr/current");
  std::string label;
  const bool readable = current && static_cast<bool>(std::getline(current, label));
  CHECK(host.current_attr == readable);
}

TEST_CASE("escape audit: a process in no container is not audited") {
  const auto a = proc::audit_container(::getpid(), std::string(64, 'a'));
  CHECK_FALSE(a.collected);
  CHECK(a.reason.find("cgroup") != std::string::npos);
  CHECK(proc::to_json(a) == nlohmann::json{{"collected", false}, {"reason", a.reason}});
}

TEST_CASE("escape audit: the queue gives the audits the caller asks for, in its order") {
  const std::string not_ours(64, 'b');
  const int self = ::getpid();
  proc::audit_queue queue;
  for (int k = 0; k < 5; ++k) queue.add({self, not_ours + std::to_string(k)});
  // Some are taken (at idle priority) before finish(), others not: either way each wanted one
  // comes back once, in the caller's order, and targets added but not wanted are not returned.
  ::usleep(20000);
  const std::vector<proc::audit_target> wanted{
      {self, not_ours + "3"},
      {self, std::string(64, 'd')},
      {self, not_ours + "0"},
      {self, not_ours + "3"},  // twice
  };
  const auto done = queue.finish(wanted);
  REQUIRE(done.size() == wanted.size());
  for (std::size_t k = 0; k < done.size(); ++k) {
    // The same answer audit_container gives: the cgroup does not name the container.
    CHECK_FALSE(done[k].collected);
    CHECK(done[k].init_pid == self);
    CHECK(done[k].reason.find("cgroup") != std::string::npos);
    CHECK(done[k].reason.find(wanted[k].container_id.substr(0, 12)) != std::string::npos);
  }
  // Added after finish(): ignored.
  queue.add({self, not_ours});
}

TEST_CASE("escape audit: a queue finished at once audits every wanted target") {
  proc::audit_queue queue;
  std::vector<proc::audit_target> wanted;
  for (int k = 0; k < 40; ++k)
    wanted.push_back({::getpid(), std::string(63, 'e') + char('a' + k % 6)});
  const auto done = queue.finish(wanted);
  REQUIRE(done.size() == wanted.size());
  for (const auto& a : done) CHECK(a.reason.find("cgroup") != std::string::npos);
  proc::audit_queue empty;
  CHECK(empty.finish({}).empty());
}

TEST_CASE("escape audit: a closed queue gives each audit when taken, in any order") {
  const int self = ::getpid();
  const auto id = [](int k) { return std::string(60, 'f') + std::to_string(1000 + k); };
  proc::audit_queue queue;
  for (int k = 0; k < 20; ++k) queue.add({self, id(k)});
  ::usleep(10000);
  // Some of those added, some new, one twice; taken last first while the worker audits the
  // rest from the front.
  std::vector<proc::audit_target> wanted;
  for (int k = 10; k < 40; ++k) wanted.push_back({self, id(k)});
  wanted.push_back({self, id(12)});
  queue.close(wanted);
  for (std::size_t j = wanted.size(); j-- > 0;) {
    const proc::escape_audit a = queue.take(j);
    CAPTURE(j);
    CHECK_FALSE(a.collected);
    CHECK(a.init_pid == self);
    CHECK(a.reason.find(wanted[j].container_id.substr(0, 12)) != std::string::npos);
  }
  CHECK_THROWS(queue.take(wanted.size()));  // no such target
  // Closed and only partly taken: the rest is dropped with the queue, which does not hang.
  proc::audit_queue partly;
  std::vector<proc::audit_target> many(200, {self, id(0)});
  partly.close(many);
  CHECK(partly.take(0).init_pid == self);
}

TEST_CASE("escape audit: a queue dropped without finish() stops its worker") {
  proc::audit_queue queue;
  for (int k = 0; k < 50; ++k) queue.add({::getpid(), std::string(64, 'c')});
}
