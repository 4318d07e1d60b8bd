// ir-hunt: what the kernel runs that the engine does not account for.
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/table.hpp"
#include "cli/tool.hpp"
#include "forensic/engine/containers.hpp"
#include "forensic/error.hpp"
#include "forensic/formats/siem.hpp"
#include "forensic/hunt/hunt.hpp"
#include "forensic/text/terminal.hpp"

namespace {

using namespace forensic;

const cli::tool_info info{
    "ir-hunt", "ir-hunt [--json | --format ecs|ocsf] [--container REF] [--host URI]",
    "  Reconciles what this host's kernel runs with what the engine knows. Every process of\n"
    "  /proc is grouped by its pid, net, mnt, uts, ipc and cgroup namespaces and its cgroup;\n"
    "  every network namespace is listed, including those no process is in that a bind mount\n"
    "  under /run/netns or /var/run/docker/netns holds, with its veths and the bridges they are\n"
    "  on. Then each engine container, proven by the cgroup of the pid the engine reports, gives\n"
    "  the namespaces it owns, and what does not reconcile is a finding:\n"
    "    unowned_namespace         a namespace that is not the host's and no container is in\n"
    "                              (runc/ctr run directly, unshare workloads, ip netns + veth)\n"
    "    nested_pid_namespace      a pid namespace below a container's (unshare -fp inside it)\n"
    "    entered_from_outside      a process in a container's namespaces, outside its cgroup\n"
    "                              (nsenter, setns)\n"
    "    unknown_container_cgroup  a cgroup naming a container id the engine does not know\n"
    "    stopped_with_processes    the engine says stopped, its cgroup still has processes\n"
    "    engine_pid_mismatch       the engine's pid for a running container is not its init\n"
    "  Reads /proc, netlink and the bind mounts' identities only: nothing is entered or run.\n"
    "  Needs the engine on this host's unix socket (a remote engine's pids are another\n"
    "  kernel's: exit 2). --container keeps what concerns one container: the findings naming\n"
    "  it, and unowned namespaces with a veth on a bridge it is on.\n",
    "JSON OUTPUT\n"
    "  --json prints {\"schema\": \"forensic.hunt/1\", \"findings\": [...], \"groups\": [...],\n"
    "  \"network_namespaces\": [...], ...}: docs/json-hunt.md.\n\n"
    "EXIT STATUS (besides the codes below)\n"
    "  0 nothing to report; 1 findings were reported.\n\n"
    "EXAMPLES\n"
    "  ir-hunt\n"
    "  ir-hunt --json | jq '.findings[] | select(.severity == \"high\")'\n"};

std::string pids_text(const std::vector<int>& pids) {
  std::string out;
  for (int pid : pids) out += (out.empty() ? "" : ",") + std::to_string(pid);
  return out.empty() ? "-" : out;
}

void print(const hunt::hunt_report& r) {
  std::cout << "processes: " << r.process_count << ", namespace groups: " << r.groups.size()
            << ", network namespaces: " << r.network_namespaces.size()
            << ", engine containers: " << r.container_count << "\n\n";
  cli::table t({"SEVERITY", "KIND", "CONTAINER", "PIDS", "SUMMARY"}, 120);
  for (const auto& f : r.findings) {
    const std::string who = !f.container_name.empty() ? f.container_name
                            : f.container_id.empty()  ? "-"
                                                      : f.container_id.substr(0, 12);
    t.add_row({f.severity, f.kind, who, pids_text(f.pids), f.summary});
  }
  if (t.empty()) {
    std::cout << "nothing to report: every namespace and process is the host's or a container's\n";
  } else {
    t.print(std::cout);
  }
}

int run(int argc, char** argv) {
  cli::po::options_description options("OPTIONS");
  options.add_options()("json", "print JSON instead of a table")(
      "format", cli::po::value<std::string>()->value_name("FORMAT"),
      "ecs or ocsf: one SIEM line per finding (docs/formats.md)")(
      "container", cli::po::value<std::string>()->value_name("REF"),
      "only what concerns this container (id, name or unique id prefix)");
  cli::add_engine_options(options);
  cli::po::variables_map vm;
  if (!cli::parse_command_line(argc, argv, info, options, vm)) return cli::exit_ok;

  const auto siem = cli::siem_format_option(vm);
  engine::client engine(cli::engine_options(vm));
  engine.set_cancel_flag(cli::install_interrupt_flag());
  auto report = hunt::hunt_host(engine);
  if (vm.count("container")) {
    const auto id = engine::resolve_container_id(engine, vm["container"].as<std::string>());
    report = hunt::about_container(report, id);
  }
  if (siem) {
    std::cout << formats::to_json_lines(formats::siem_records(report), *siem,
                                        formats::current_context());
  } else if (vm.count("json")) {
    cli::print_json(std::cout, hunt::to_json(report));
  } else {
    print(report);
  }
  for (const auto& w : report.warnings) {
    std::cerr << "ir-hunt: warning: " << text::escape_for_terminal(w) << "\n";
  }
  return report.findings.empty() ? cli::exit_ok : cli::exit_negative;
}

}  // namespace

int main(int argc, char** argv) {
  return forensic::cli::run_tool(info, [&] { return run(argc, argv); });
}
