// The bodyfile (sleuthkit body format: line text, mode text, times, escaping, a walk of a tree
// built here with times set to the nanosecond), the mount plan (which host paths are system
// paths; a real container's mount table and inspect), and a mount archived as a pax tar.
#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "evidence/mount_archive.hpp"
#include "forensic/error.hpp"
#include "forensic/evidence/bodyfile.hpp"
#include "forensic/evidence/mounts.hpp"
#include "forensic/io/byte_sink.hpp"
#include "forensic/io/unique_fd.hpp"
#include "forensic/proc/mountinfo.hpp"
#include "support/scratch.hpp"

namespace fs = std::filesystem;
using namespace forensic;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(FORENSIC_FIXTURES_DIR) + "/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void set_times(const fs::path& p, timespec atime, timespec mtime) {
  const timespec times[2] = {atime, mtime};
  REQUIRE(::utimensat(AT_FDCWD, p.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

// A small tree: a file with an old access time, a link out of it, a directory, an odd name.
struct sample_tree {
  testing::temp_dir dir{"bodyfile"};
  sample_tree() {
    fs::create_directory(dir.path / "sub");
    std::ofstream(dir.path / "sub" / "old") << "secret";
    std::ofstream(dir.path / "a|b%c") << "x";
    fs::create_symlink("/etc/shadow", dir.path / "link");
    set_times(dir.path / "sub" / "old", {1577836800, 123456789}, {1600000000, 5});
  }
};

std::map<std::string, std::vector<std::string>> lines_by_name(const std::string& text) {
  std::map<std::string, std::vector<std::string>> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::stringstream f(line);
    for (std::string field; std::getline(f, field, '|');) fields.push_back(field);
    REQUIRE(fields.size() == 11);
    out[fields[1]] = fields;
  }
  return out;
}

}  // namespace

TEST_CASE("bodyfile: a line has the eleven fields mactime -b reads") {
  evidence::bodyfile_entry e;
  e.name = "/tmp/x";
  e.inode = 42;
  e.mode = S_IFREG | 0644;
  e.uid = 1000;
  e.gid = 50;
  e.size = 7;
  e.atime = {1577836800, 123456789};
  e.mtime = {1600000000, 0};
  e.ctime = {1700000000, 1};
  CHECK(evidence::bodyfile_line(e) ==
        "0|/tmp/x|42|-rw-r--r--|1000|50|7|1577836800.123456789|1600000000|"
        "1700000000.000000001|0\n");
  e.crtime = evidence::bodyfile_time{1500000000, 500000000};
  CHECK(evidence::bodyfile_line(e).ends_with("|1500000000.500000000\n"));
}

TEST_CASE("bodyfile: mode text is ls's, set-id and sticky bits included") {
  using evidence::mode_string;
  CHECK(mode_string(S_IFREG | 0644) == "-rw-r--r--");
  CHECK(mode_string(S_IFDIR | 01777) == "drwxrwxrwt");
  CHECK(mode_string(S_IFDIR | 01770) == "drwxrwx--T");
  CHECK(mode_string(S_IFLNK | 0777) == "lrwxrwxrwx");
  CHECK(mode_string(S_IFREG | 04755) == "-rwsr-xr-x");
  CHECK(mode_string(S_IFREG | 02644) == "-rw-r-Sr--");
  CHECK(mode_string(S_IFCHR | 0666) == "crw-rw-rw-");
  CHECK(mode_string(S_IFBLK | 0660) == "brw-rw----");
  CHECK(mode_string(S_IFIFO | 0600) == "prw-------");
  CHECK(mode_string(S_IFSOCK | 0755) == "srwxr-xr-x");
  CHECK(mode_string(S_IFCHR) == "c---------");  // an overlay whiteout
}

TEST_CASE("bodyfile: times keep nanoseconds, before 1970 too") {
  using evidence::bodyfile_time_text;
  CHECK(bodyfile_time_text({0, 0}) == "0");
  CHECK(bodyfile_time_text({1577836800, 0}) == "1577836800");
  CHECK(bodyfile_time_text({1577836800, 5}) == "1577836800.000000005");
  CHECK(bodyfile_time_text({1577836800, 999999999}) == "1577836800.999999999");
  CHECK(bodyfile_time_text({-1, 500000000}) == "-0.500000000");
  CHECK(bodyfile_time_text({-2, 250000000}) == "-1.750000000");
  CHECK(bodyfile_time_text({-5, 0}) == "-5");
}

TEST_CASE("bodyfile: '|', '%' and control bytes in names are %HH, the rest as is") {
  using evidence::bodyfile_name;
  CHECK(bodyfile_name("/a|b") == "/a%7Cb");
  CHECK(bodyfile_name("/100%") == "/100%25");
  CHECK(bodyfile_name("/new\nline\t\x7f") == "/new%0Aline%09%7F");
  CHECK(bodyfile_name("/caf\xc3\xa9 x") == "/caf\xc3\xa9 x");
}

TEST_CASE("bodyfile: a walk records every entry by statx, old access times untouched") {
  sample_tree t;
  io::unique_fd fd(::open(t.dir.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(fd);
  io::string_sink out;
  const auto s = evidence::write_bodyfile(fd.get(), "/mnt", out);
  CHECK(s.entries == 5);
  CHECK(s.skipped.empty());
  const auto lines = lines_by_name(out.str());
  REQUIRE(lines.count("/mnt"));
  CHECK(lines.at("/mnt")[3].front() == 'd');
  REQUIRE(lines.count("/mnt/sub/old"));
  const auto& old = lines.at("/mnt/sub/old");
  CHECK(old[0] == "0");
  CHECK(old[3] == "-rw-r--r--");
  CHECK(old[6] == "6");
  CHECK(old[7] == "1577836800.123456789");
  CHECK(old[8] == "1600000000.000000005");
  REQUIRE(lines.count("/mnt/link"));
  CHECK(lines.at("/mnt/link")[3] == "lrwxrwxrwx");
  CHECK(lines.at("/mnt/link")[6] == "11");  // the link itself, not /etc/shadow
  CHECK(lines.count("/mnt/a%7Cb%25c") == 1);
  // Nothing was read: the access time is still the one set.
  struct stat st {};
  REQUIRE(::stat((t.dir.path / "sub" / "old").c_str(), &st) == 0);
  CHECK(old[2] == std::to_string(st.st_ino));
  CHECK(st.st_atim.tv_sec == 1577836800);
  CHECK(st.st_atim.tv_nsec == 123456789);
}

TEST_CASE("bodyfile: the root of a layer is \"/\", its entries /path") {
  sample_tree t;
  io::unique_fd fd(::open(t.dir.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  io::string_sink out;
  evidence::write_bodyfile(fd.get(), "", out);
  const auto lines = lines_by_name(out.str());
  CHECK(lines.count("/") == 1);
  CHECK(lines.count("/sub/old") == 1);
  CHECK(lines.count("/sub") == 1);
}

TEST_CASE("mounts: host system paths, above and below, and engine sockets anywhere") {
  using evidence::is_host_system_path;
  for (const char* p : {"/",
                        "/etc",
                        "/etc/nginx",
                        "//etc/./",
                        "/var",
                        "/var/lib",
                        "/var/lib/docker",
                        "/var/lib/docker/volumes/x/_data",
                        "/var/run",
                        "/var/run/docker.sock",
                        "/run",
                        "/run/containerd/containerd.sock",
                        "/srv/x/docker.sock",
                        "/proc",
                        "/sys/fs",
                        "/dev",
                        "/boot",
                        "/usr/local",
                        "/lib",
                        "/lib64",
                        "/root",
                        "/home/../etc"}) {
    INFO(p);
    CHECK(is_host_system_path(p));
  }
  for (const char* p : {"/srv/data", "/home/app", "/tmp/x", "/opt/app", "/var/log/app", "/etcetera",
                        "/usr2", "/libdata", "/data/run", ""}) {
    INFO(p);
    CHECK_FALSE(is_host_system_path(p));
  }
}

TEST_CASE("mounts: mountinfo lines parse, escapes decoded, malformed lines refused") {
  const auto t = proc::parse_mountinfo(
      "36 35 98:0 /mnt1 /mnt\\040two rw,noatime master:1 shared:2 - ext3 /dev/root rw\n"
      "37 36 0:47 / /dev/shm ro,nosuid - tmpfs shm rw,size=65536k\n");
  REQUIRE(t.size() == 2);
  CHECK(t[0].mount_id == 36);
  CHECK(t[0].parent_id == 35);
  CHECK(t[0].major == 98);
  CHECK(t[0].root == "/mnt1");
  CHECK(t[0].mount_point == "/mnt two");
  CHECK(t[0].fstype == "ext3");
  CHECK(t[0].source == "/dev/root");
  CHECK_FALSE(t[0].read_only());
  CHECK(t[1].read_only());
  CHECK(t[1].source == "shm");
  CHECK_THROWS_AS(proc::parse_mountinfo("36 35 98:0 /mnt1 /mnt2 rw\n"), error);
  CHECK_THROWS_AS(proc::parse_mountinfo("x 35 98:0 / / rw - ext4 /dev/x rw\n"), error);
}

TEST_CASE("mounts: a real container's table is planned: what is copied and why") {
  const auto table = proc::parse_mountinfo(fixture("proc/mountinfo-container.txt"));
  const auto inspect = nlohmann::json::parse(fixture("engine/mounts_inspect.json"));
  const auto plan = evidence::plan_container_mounts(table, inspect, false);
  std::map<std::string, evidence::container_mount> by;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    CHECK(plan[i].index == i);
    by[plan[i].destination] = plan[i];
  }
  CHECK(by.count("/") == 0);  // the export's
  const auto copied = [&](const char* d) { return by.count(d) && by.at(d).copy; };
  CHECK(copied("/dev"));
  CHECK(copied("/dev/shm"));
  CHECK(by.at("/dev/shm").type == "tmpfs");
  CHECK(copied("/scratch"));
  CHECK(copied("/data"));
  CHECK(by.at("/data").type == "volume");
  CHECK(by.at("/data").volume == "fs14vol");
  CHECK(by.at("/data").source == "/var/lib/docker/volumes/fs14vol/_data");
  CHECK(copied("/mnt/bind"));
  CHECK_FALSE(by.at("/mnt/bind").read_write);
  CHECK(copied("/etc/hosts"));
  CHECK(by.at("/etc/hosts").source.ends_with("/hosts"));
  CHECK(copied("/etc/resolv.conf"));
  CHECK(copied("/etc/hostname"));
  CHECK_FALSE(copied("/host-etc"));
  CHECK(by.at("/host-etc").source == "/etc");
  CHECK(by.at("/host-etc").reason.find("--mount-copy-system") != std::string::npos);
  CHECK_FALSE(copied("/var/run/docker.sock"));
  for (const char* kernel : {"/proc", "/sys", "/dev/pts", "/dev/mqueue", "/sys/fs/cgroup",
                             "/sys/fs/cgroup/cpu", "/proc/acpi", "/proc/keys", "/sys/firmware"}) {
    INFO(kernel);
    REQUIRE(by.count(kernel));
    CHECK_FALSE(copied(kernel));
  }
  // Asked: the system bind is copied; kernel interfaces never are.
  const auto all = evidence::plan_container_mounts(table, inspect, true);
  for (const auto& m : all) {
    if (m.destination == "/host-etc") CHECK(m.copy);
    if (m.destination == "/proc/keys" || m.destination == "/proc") CHECK_FALSE(m.copy);
  }
  const auto j = evidence::to_json(by.at("/data"));
  CHECK(j["copied"] == true);
  CHECK(j["type"] == "volume");
  CHECK(j["mount_id"] == 91);
}

TEST_CASE("mounts: one mounted at the same place later covers the first; missing ones listed") {
  const auto table = proc::parse_mountinfo(
      "1 0 0:1 / / rw - overlay overlay rw\n"
      "2 1 0:2 / /data rw - ext4 /dev/vda rw\n"
      "3 1 0:3 / /data rw - tmpfs tmpfs rw\n");
  const auto inspect = nlohmann::json::parse(R"({"Id": "abc", "Mounts": [
      {"Type": "volume", "Name": "v", "Source": "/var/lib/docker/volumes/v/_data",
       "Destination": "/data", "RW": true},
      {"Type": "bind", "Source": "/srv/gone", "Destination": "/gone", "RW": true}]})");
  const auto plan = evidence::plan_container_mounts(table, inspect, false);
  REQUIRE(plan.size() == 3);
  CHECK(plan[0].type == "volume");
  CHECK_FALSE(plan[0].copy);
  CHECK(plan[0].reason.find("covered") != std::string::npos);
  CHECK(plan[1].type == "tmpfs");
  CHECK(plan[1].copy);
  CHECK(plan[2].destination == "/gone");
  CHECK_FALSE(plan[2].copy);
  CHECK(plan[2].mount_id == 0);
}

TEST_CASE("mounts: a mount is archived as pax with exact names and nanosecond times") {
  sample_tree t;
  std::ofstream(t.dir.path / "big") << std::string(5000, 'b');
  io::unique_fd fd(::open(t.dir.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  io::string_sink out;
  const auto s = evidence::detail::archive_mount(fd.get(), "dev/shm", out, 4096, nullptr);
  CHECK(s.left_out_files == 1);
  CHECK(s.left_out_bytes == 5000);
  REQUIRE(s.left_out_first.size() == 1);
  CHECK(s.left_out_first[0] == "/dev/shm/big");
  CHECK(s.bytes == 7);  // "secret" and "x"
  std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(a.get());
  REQUIRE(archive_read_open_memory(a.get(), out.str().data(), out.str().size()) == ARCHIVE_OK);
  std::map<std::string, std::string> content;
  archive_entry* e = nullptr;
  bool old_seen = false;
  while (archive_read_next_header(a.get(), &e) == ARCHIVE_OK) {
    const std::string name = archive_entry_pathname(e);
    std::string data(static_cast<std::size_t>(archive_entry_size(e)), '\0');
    if (!data.empty()) archive_read_data(a.get(), data.data(), data.size());
    content[name] = data;
    if (name == "dev/shm/sub/old") {
      old_seen = true;
      CHECK(archive_entry_atime(e) == 1577836800);
      CHECK(archive_entry_atime_nsec(e) == 123456789);
      CHECK(archive_entry_mtime(e) == 1600000000);
      CHECK(archive_entry_mtime_nsec(e) == 5);
    }
    if (name == "dev/shm/link") CHECK(std::string(archive_entry_symlink(e)) == "/etc/shadow");
  }
  CHECK(old_seen);
  CHECK(content.count("dev/shm") + content.count("dev/shm/") == 1);
  CHECK(content["dev/shm/sub/old"] == "secret");
  CHECK(content["dev/shm/a|b%c"] == "x");
  CHECK(content.count("dev/shm/big") == 0);
  CHECK(s.entries == content.size());
  // Read with O_NOATIME: the access time the walk recorded is still there.
  struct stat st {};
  REQUIRE(::stat((t.dir.path / "sub" / "old").c_str(), &st) == 0);
  CHECK(st.st_atim.tv_sec == 1577836800);
}
