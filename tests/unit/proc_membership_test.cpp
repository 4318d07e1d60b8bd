// Container membership as the kernel shows it: the cgroup lines compared, NSpid levels, and a
// scan of this very process (which is in no container).
#include <doctest/doctest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "forensic/error.hpp"
#include "forensic/proc/membership.hpp"
#include "proc/membership_parse.hpp"

using namespace forensic;
using namespace forensic::proc::detail;

namespace {

// cgroup v1 with the unified line (hybrid), as dockerd's cgroupfs driver leaves a container.
const char* v1_container =
    "9:name=systemd:/docker/abc\n8:pids:/docker/abc\n4:memory:/docker/abc\n"
    "3:cpuset:/docker/abc\n0::/docker/abc\n";

}  // namespace

TEST_CASE("membership: /proc/<pid>/cgroup lines by hierarchy") {
  const auto g = parse_cgroup(v1_container);
  CHECK(g.size() == 5);
  CHECK(g.at("8:pids") == "/docker/abc");
  CHECK(g.at("0:") == "/docker/abc");
  // A path may hold ':' itself; malformed lines are skipped.
  const auto odd = parse_cgroup("0::/a:b\ngarbage\n:x:/y\n");
  CHECK(odd.size() == 1);
  CHECK(odd.at("0:") == "/a:b");
}

TEST_CASE("membership: the hierarchy compared is the most telling one the init has") {
  CHECK(membership_hierarchy(parse_cgroup(v1_container)) == "0:");
  // Hybrid host whose unified hierarchy is unused: pids, then memory.
  CHECK(membership_hierarchy(parse_cgroup("8:pids:/docker/abc\n4:memory:/docker/abc\n0::/\n")) ==
        "8:pids");
  CHECK(membership_hierarchy(parse_cgroup("4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n")) ==
        "4:memory");
  CHECK(membership_hierarchy(parse_cgroup("2:cpu,cpuacct:/docker/abc\n1:cpuset:/\n")) ==
        "2:cpu,cpuacct");
  CHECK(membership_hierarchy(parse_cgroup("1:cpuset:/\n0::/\n")).empty());
}

TEST_CASE("membership: a cgroup below the container's is inside it, a sibling prefix is not") {
  CHECK(within("/docker/abc", "/docker/abc"));
  CHECK(within("/docker/abc/inner", "/docker/abc"));
  CHECK_FALSE(within("/docker/abcd", "/docker/abc"));
  CHECK_FALSE(within("/docker", "/docker/abc"));
  CHECK(within("/anything", "/"));
}

TEST_CASE("membership: NSpid levels, outermost first") {
  CHECK(nspid_levels("Name:\tsleep\nNSpid:\t4242\t17\t1\nNSpgid:\t1\n") ==
        std::vector<int>{4242, 17, 1});
  CHECK(nspid_levels("NSpid:\t7\n") == std::vector<int>{7});
  CHECK(nspid_levels("Name:\tx\n").empty());
}

TEST_CASE("membership: a host process is a member of nothing it is not under") {
  if (::geteuid() != 0) return;  // other users' ns links are not readable
  // Taken as the "init" itself: it is found through its own cgroup, and never as entered from
  // outside.
  bool self = false;
  const auto members = proc::members_of_container(::getpid());
  for (const auto& m : members) {
    CHECK_FALSE(m.found_by.empty());
    if (m.pid != ::getpid()) continue;
    self = true;
    CHECK_FALSE(m.entered_from_outside);
  }
  // Nothing at all when its namespaces are the host's and its cgroups all "/".
  CHECK((self || members.empty()));
  const auto j = proc::to_json(proc::container_member{1, {"cgroup"}, false, "/docker/abc"});
  CHECK(j == nlohmann::json{{"found_by", {"cgroup"}},
                            {"entered_from_outside", false},
                            {"cgroup", "/docker/abc"}});
  CHECK_THROWS_AS(proc::members_of_container(0x3fffffff), error);
}
