// ir-ps: the containers on this host, with what a responder needs at a glance.
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/table.hpp"
#include "cli/tool.hpp"
#include "forensic/engine/containers.hpp"
#include "forensic/engine/endpoint.hpp"
#include "forensic/error.hpp"
#include "forensic/formats/siem.hpp"
#include "forensic/proc/escape_audit.hpp"

namespace {

using namespace forensic;

const cli::tool_info info{
    "ir-ps",
    "ir-ps [--all] [--json | --format ecs|ocsf] [--filter KEY=VALUE]... [--no-state-files] [--host "
    "URI]",
    "  Lists the containers of the engine (running ones, or all with --all) in one list call plus\n"
    "  concurrent inspects, with each container's addresses per network and its RISK flags:\n"
    "  PRIVILEGED, DOCKER-SOCK (engine socket mounted inside), HOST-NET, HOST-PID, HOST-IPC,\n"
    "  CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_NET_ADMIN, SECCOMP-UNCONFINED, APPARMOR-UNCONFINED,\n"
    "  NO-PIDS-LIMIT, NO-MEM-LIMIT. Strings that come from containers are escaped.\n"
    "\n"
    "  Those flags come from the engine's configuration. When the engine is on this host's\n"
    "  unix socket, each running container whose init's /proc/<pid>/cgroup names it is also\n"
    "  audited from what the kernel says of its init (escape audit, docs/json.md `kernel`):\n"
    "  effective capabilities (CAP_SYS_ADMIN, CAP_SYS_MODULE, CAP_SYS_PTRACE,\n"
    "  CAP_DAC_READ_SEARCH, CAP_NET_ADMIN, CAP_BPF, CAP_SYS_RAWIO, CAP_PERFMON, CAP_SYS_BOOT,\n"
    "  CAP_SYS_TIME, CAP_MAC_ADMIN, CAP_MAC_OVERRIDE, CAP_SYSLOG from CapEff), seccomp off\n"
    "  (SECCOMP-UNCONFINED), AppArmor unconfined when the host enables it\n"
    "  (APPARMOR-UNCONFINED), uid 0 in the host's user namespace (ROOT-NO-USERNS), mounts\n"
    "  exposing the host (HOST-ROOT-MOUNT, HOST-ETC-MOUNT, HOST-PROC-MOUNT, HOST-SYS-MOUNT,\n"
    "  HOST-DEV-MOUNT, DOCKER-DATA-MOUNT, DOCKER-SOCK, CONTAINERD-SOCK) and device nodes\n"
    "  beyond the defaults (DEVICES); no_new_privs, a read-only root filesystem and a user\n"
    "  namespace are listed as hardening. The RISK column shows the engine's flags, then the\n"
    "  kernel's that are not among them.\n"
    "\n"
    "  With a local engine keeping its data under /var/lib/docker (proven by one inspect),\n"
    "  what only inspect has is read from the engine's own files (config.v2.json,\n"
    "  hostconfig.json) instead of one inspect call per container, and used only where it\n"
    "  agrees with the list (id, name, image, running state, networks); the others are\n"
    "  inspected. JSON `details_from` says which. --no-state-files inspects every container.\n",
    "JSON OUTPUT\n"
    "  --json prints {\"schema\": \"forensic.ps/1\", \"containers\": [...]}; the fields of each\n"
    "  container are documented in docs/json.md and only ever added to.\n"
    "  --format ecs or --format ocsf prints one line per risk flag of each container for a\n"
    "  SIEM (ECS event.kind alert, configuration; OCSF Detection Finding), the engine's flags\n"
    "  (rule risk.FLAG) then the kernel's not among them (rule kernel.FLAG): docs/formats.md.\n\n"
    "EXAMPLES\n"
    "  ir-ps --all\n"
    "  ir-ps --filter network=backend --filter label=com.docker.compose.project=shop\n"
    "  ir-ps --json | jq '.containers[] | select(.risk_flags | index(\"PRIVILEGED\"))'\n"};

std::pair<std::string, std::string> parse_filter(const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw error(errc::invalid_argument,
                "filter '" + text + "' must be KEY=VALUE (label=K[=V], name=N, network=N)");
  }
  std::string key = text.substr(0, eq);
  if (key != "label" && key != "name" && key != "network" && key != "id" && key != "status" &&
      key != "ancestor") {
    throw error(errc::invalid_argument, "unknown filter key '" + key +
                                            "' (use label, name, network, id, status, ancestor)");
  }
  return {key, text.substr(eq + 1)};
}

std::string addresses(const engine::container& c) {
  std::string out;
  for (const auto& n : c.networks) {
    std::string ips = n.ipv4;
    if (!n.ipv6.empty()) ips += (ips.empty() ? "" : ",") + n.ipv6;
    if (ips.empty()) ips = "-";
    out += (out.empty() ? "" : " ") + n.name + "=" + ips;
  }
  if (out.empty()) out = c.security.network_mode.empty() ? "-" : c.security.network_mode;
  return out;
}

// The escape audit of each container from this host's /proc (escape_audit.hpp), or why not,
// taken in the containers' order. `early` holds the audits started from the engine's own
// records while the list call was in flight: one serves only a container with the very pid and
// id the list gives. With it, the rest are audited as they are taken, by its worker and the
// taking thread together (the output of those done is written meanwhile); without it, all at
// once.
class container_audits {
 public:
  container_audits(const std::vector<engine::container>& containers, const engine::client& engine,
                   proc::audit_queue* early)
      : out_(containers.size()), target_(containers.size(), none), early_(early) {
    const bool local = engine.where().kind == engine::endpoint::transport::unix_socket;
    std::vector<proc::audit_target> targets;
    for (std::size_t i = 0; i < containers.size(); ++i) {
      const auto& c = containers[i];
      if (!local) {
        out_[i].reason = "the engine is at " + engine.where().to_string() +
                         ", not on this host's unix socket: its pids are not this host's";
      } else if (c.pid <= 0) {
        out_[i].reason = "not running";
      } else {
        target_[i] = targets.size();
        targets.push_back({c.pid, c.id});
      }
    }
    if (early_) {
      early_->close(targets);
      return;
    }
    auto audited = proc::audit_containers(targets);
    for (std::size_t i = 0; i < containers.size(); ++i) {
      if (target_[i] != none) out_[i] = std::move(audited[target_[i]]);
    }
  }

  // Container i's audit; each i once.
  proc::escape_audit take(std::size_t i) {
    return early_ && target_[i] != none ? early_->take(target_[i]) : std::move(out_[i]);
  }

  std::vector<proc::escape_audit> take_all() {
    std::vector<proc::escape_audit> all;
    all.reserve(out_.size());
    for (std::size_t i = 0; i < out_.size(); ++i) all.push_back(take(i));
    return all;
  }

 private:
  static constexpr std::size_t none = static_cast<std::size_t>(-1);
  std::vector<proc::escape_audit> out_;
  std::vector<std::size_t> target_;  // the queue's index of container i, or none
  proc::audit_queue* early_;
};

void print_table(const std::vector<engine::container>& containers,
                 const std::vector<proc::escape_audit>& audits) {
  cli::table t({"ID", "NAME", "IMAGE", "STATE", "PID", "NETWORKS", "RISK"});
  for (std::size_t i = 0; i < containers.size(); ++i) {
    const auto& c = containers[i];
    std::vector<std::string> flags = c.risk_flags();
    for (const auto& f : audits[i].flags) {
      if (std::find(flags.begin(), flags.end(), f) == flags.end()) flags.push_back(f);
    }
    std::string risk;
    for (const auto& f : flags) risk += (risk.empty() ? "" : ",") + f;
    t.add_row({c.short_id(), c.name(), c.image, c.state, c.pid ? std::to_string(c.pid) : "-",
               addresses(c), risk.empty() ? "-" : risk});
  }
  t.print(std::cout);
}

int run(int argc, char** argv) {
  cli::po::options_description options("OPTIONS");
  options.add_options()("all,a", "include stopped containers")("json",
                                                               "print JSON instead of a table")(
      "format", cli::po::value<std::string>()->value_name("FORMAT"),
      "ecs or ocsf: one JSON line per risk flag for a SIEM")(
      "filter,f", cli::po::value<std::vector<std::string>>()->value_name("KEY=VALUE"),
      "engine-side filter: label=K[=V], name=N, network=N (repeatable)")(
      "no-state-files", "inspect every container instead of reading the engine's state files");
  cli::add_engine_options(options);
  cli::po::variables_map vm;
  if (!cli::parse_command_line(argc, argv, info, options, vm)) return cli::exit_ok;

  const auto siem = cli::siem_format_option(vm);
  engine::list_options list;
  list.all = vm.count("all") > 0;
  list.state_files = vm.count("no-state-files") == 0;
  if (vm.count("filter")) {
    for (const auto& f : vm["filter"].as<std::vector<std::string>>()) {
      list.filters.push_back(parse_filter(f));
    }
  }
  engine::client engine(cli::engine_options(vm));
  // The audits start from the engine's records while the list call is answered (a filtered
  // list would leave most of them unused).
  std::optional<proc::audit_queue> early;
  if (list.state_files && list.filters.empty() &&
      engine.where().kind == engine::endpoint::transport::unix_socket) {
    early.emplace();
    list.on_running_record = [&early](const std::string& id, int pid) { early->add({pid, id}); };
  }
  auto containers = engine::list_containers(engine, list);
  container_audits audits(containers, engine, early ? &*early : nullptr);

  if (siem) {
    std::cout << formats::to_json_lines(formats::siem_records(containers, audits.take_all()), *siem,
                                        formats::current_context());
  } else if (vm.count("json")) {
    cli::print_json(std::cout, engine::to_json({}, engine.where().to_string()), "containers",
                    containers.size(), [&](std::size_t i) {
                      auto one = engine::to_json(containers[i]);
                      one["kernel"] = proc::to_json(audits.take(i));
                      return one;
                    });
  } else {
    print_table(containers, audits.take_all());
  }
  return cli::exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  return forensic::cli::run_tool(info, [&] { return run(argc, argv); });
}
