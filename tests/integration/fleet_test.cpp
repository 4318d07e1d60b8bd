// playbooks/fleet/site.yml over real SSH: an sshd started by this test on a private loopback
// port with its own host key, a client key made here, known_hosts written here (strict host
// key checking on), and an inventory of three names: two reach this machine, one reaches a
// closed port. The fan-out, the transfer of each archive, its hash before and after the copy,
// ir-verify on the control node, fleet.json and the table are the real ones.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/testbed.hpp"

using namespace forensic::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool have(const char* program) {
  return run({"sh", "-c", std::string("command -v ") + program}).exit_code == 0;
}

bool tools_built() {
  for (const char* t : {"ir-locate", "ir-isolate", "ir-collect", "ir-analyze", "ir-verify"}) {
    if (::access(tool(t).c_str(), X_OK) != 0) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("fleet: the playbook across an inventory over SSH, bundles fetched and verified") {
  REQUIRE_MESSAGE(
      !(!engine_available() || ::geteuid() != 0 || !tools_built() || !have("ansible-playbook") ||
        ::access("/usr/sbin/sshd", X_OK) != 0 || !have("ssh-keygen")),
      "needs root, a Docker engine, the tools, ansible-playbook and sshd");
  testbed tb;
  const fs::path dir = fs::temp_directory_path() / (tb.prefix() + "-fleet");
  fs::create_directories(dir);
  ::chmod(dir.c_str(), 0700);
  struct cleanup_t {
    fs::path dir;
    ~cleanup_t() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{dir};

  // Keys and the daemon.
  REQUIRE(run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", (dir / "host_key").string()})
              .exit_code == 0);
  REQUIRE(
      run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", (dir / "id").string()}).exit_code ==
      0);
  fs::copy_file(dir / "id.pub", dir / "authorized_keys");
  const int port = free_loopback_port();
  const int closed_port = free_loopback_port();
  {
    std::ofstream cfg(dir / "sshd_config");
    cfg << "Port " << port << "\nListenAddress 127.0.0.1\nHostKey " << (dir / "host_key").string()
        << "\nAuthorizedKeysFile " << (dir / "authorized_keys").string()
        << "\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
           "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile none\n"
           "Subsystem sftp internal-sftp\nLogLevel ERROR\n";
  }
  fs::create_directories("/run/sshd");  // sshd's privilege separation directory
  background_process sshd({"/usr/sbin/sshd", "-D", "-e", "-f", (dir / "sshd_config").string()});
  {
    std::ifstream pub(dir / "host_key.pub");
    std::string key;
    std::getline(pub, key);
    std::ofstream(dir / "known_hosts") << "[127.0.0.1]:" << port << " " << key << "\n";
  }
  const std::vector<std::string> ssh{"ssh",
                                     "-p",
                                     std::to_string(port),
                                     "-i",
                                     (dir / "id").string(),
                                     "-o",
                                     "UserKnownHostsFile=" + (dir / "known_hosts").string(),
                                     "-o",
                                     "StrictHostKeyChecking=yes",
                                     "-o",
                                     "IdentitiesOnly=yes",
                                     "-o",
                                     "BatchMode=yes",
                                     "root@127.0.0.1",
                                     "true"};
  bool up = false;
  for (int i = 0; i < 50 && !(up = run(ssh).exit_code == 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE_MESSAGE(up, "sshd on the private port never accepted the test's key");

  // Two inventory names on this machine, one on a closed port.
  {
    std::ofstream inv(dir / "inventory.ini");
    inv << "[fleet]\ndock-a ansible_host=127.0.0.1\ndock-b ansible_host=127.0.0.1\n"
        << "dock-gone ansible_host=127.0.0.1 ansible_port=" << closed_port << "\n\n"
        << "[fleet:vars]\nansible_port=" << port << "\nansible_user=root\n"
        << "ansible_ssh_private_key_file=" << (dir / "id").string() << "\n"
        << "ansible_ssh_common_args='-o UserKnownHostsFile=" << (dir / "known_hosts").string()
        << " -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o ConnectTimeout=5'\n"
        << "ansible_python_interpreter=/usr/bin/python3\n";
  }

  // The container the address belongs to, on a network with no way out.
  const std::string net = tb.network("fleet", {"--internal"});
  const std::string c = tb.container("fleet-target", {"--network", net});
  const std::string id = trim(tb.docker({"inspect", "-f", "{{.Id}}", c}));
  const std::string ip = trim(
      tb.docker({"inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", c}));
  REQUIRE_FALSE(ip.empty());

  // The tools to copy, without their debug information (a build's carry hundreds of MB).
  const fs::path tools = dir / "tools";
  fs::create_directories(tools);
  for (const char* t : {"ir-locate", "ir-isolate", "ir-collect", "ir-analyze", "ir-verify"}) {
    REQUIRE(run({"strip", "-o", (tools / t).string(), tool(t)}).exit_code == 0);
  }

  const fs::path out = dir / "out";
  auto r = run({"env",
                "ANSIBLE_LOCAL_TEMP=" + (dir / "ansible-local").string(),
                "ANSIBLE_REMOTE_TEMP=" + (dir / "ansible-remote").string(),
                "ANSIBLE_NOCOLOR=1",
                "ANSIBLE_RETRY_FILES_ENABLED=0",
                "ansible-playbook",
                "-i",
                (dir / "inventory.ini").string(),
                std::string(FORENSIC_SOURCE_DIR) + "/playbooks/fleet/site.yml",
                "-e",
                "ip=" + ip,
                "-e",
                "out=" + out.string(),
                "-e",
                "contain=false",
                "-e",
                "tools_src=" + tools.string(),
                "-e",
                "capture=0",
                "-e",
                "fleet_throttle=1",
                "-e",
                "remote_dir=" + (dir / "remote").string(),
                "-e",
                "case_id=IT-" + tb.prefix()});
  INFO("stdout: " << r.out);
  INFO("stderr: " << r.err);
  // Ansible's status 4: a host was unreachable (dock-gone); the others still ran.
  CHECK((r.exit_code == 0 || r.exit_code == 4));
  std::ifstream in(out / "fleet.json");
  REQUIRE(in);
  const json fleet = json::parse(in);
  CHECK(fleet["schema"] == "forensic.fleet/1");
  CHECK(fleet["address"] == ip);
  for (const char* h : {"dock-a", "dock-b"}) {
    CAPTURE(h);
    const json& host = fleet["hosts"][h];
    CHECK(host["reached"] == true);
    CHECK(host["found"] == true);
    REQUIRE(host["containers"].size() == 1);
    CHECK(host["containers"][0] == id);
    CHECK(host["locate"]["schema"] == "forensic.locate/1");
    REQUIRE(host["bundles"].size() == 1);
    const json& b = host["bundles"][0];
    CHECK(b["transfer_intact"] == true);
    CHECK(b["verified"] == true);
    CHECK(b["sha256_on_host"] == b["sha256_here"]);
    CHECK(b["verification"]["schema"] == "forensic.verify/1");
    const fs::path copy = b["path"].get<std::string>();
    CHECK(copy.parent_path() == out / h);
    REQUIRE(fs::exists(copy));
    CHECK(run_tool("ir-verify", {copy.string()}).exit_code == 0);
  }
  CHECK(fleet["hosts"]["dock-gone"]["reached"] == false);
  CHECK(fleet["hosts"]["dock-gone"]["bundles"].empty());
  // The table, in the play's output.
  CHECK(r.out.find("HOST") != std::string::npos);
  CHECK(r.out.find("dock-gone") != std::string::npos);
  // contain=false: the container was left on its network, and the copied tools were removed.
  CHECK_FALSE(fs::exists(dir / "remote" / "dock-a" / "bin"));
}

TEST_CASE("fleet: per-host step progress on a terminal only") {
  REQUIRE_MESSAGE(!(!have("ansible-playbook") || !have("script")),
                  "needs ansible-playbook and script(1)");
  // The callback next to a two-step playbook run on two local inventory names, as it sits next
  // to site.yml.
  const fs::path dir = fs::temp_directory_path() / ("fleet-progress-" + std::to_string(::getpid()));
  fs::create_directories(dir / "callback_plugins");
  fs::copy_file(
      std::string(FORENSIC_SOURCE_DIR) + "/playbooks/fleet/callback_plugins/fleet_progress.py",
      dir / "callback_plugins/fleet_progress.py", fs::copy_options::overwrite_existing);
  std::ofstream(dir / "probe.yml") << "- hosts: all\n  gather_facts: false\n  tasks:\n"
                                      "    - name: first step\n      ansible.builtin.command: "
                                      "\"true\"\n    - name: second step\n      "
                                      "ansible.builtin.command: \"true\"\n";
  const std::string play = "ANSIBLE_LOCAL_TEMP=" + (dir / "tmp").string() +
                           " ansible-playbook -i dock-1,dock-2, -c local " +
                           (dir / "probe.yml").string();
  auto tty = run({"script", "-qefc", play, "/dev/null"});
  auto plain = run({"sh", "-c", play});
  fs::remove_all(dir);
  INFO(tty.out);
  CHECK(tty.exit_code == 0);
  CHECK(tty.out.find("[step 2] second step: 2 host(s) done") != std::string::npos);
  CHECK(plain.exit_code == 0);
  CHECK(plain.out.find("[step") == std::string::npos);
  CHECK(plain.err.find("[step") == std::string::npos);
}
