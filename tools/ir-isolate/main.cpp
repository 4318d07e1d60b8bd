// ir-isolate: cut a suspect container off (or let it go again) without destroying evidence.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/table.hpp"
#include "cli/tool.hpp"
#include "forensic/response/isolator.hpp"
#include "forensic/text/terminal.hpp"

namespace {

using namespace forensic;

const cli::tool_info info{
    "ir-isolate",
    "ir-isolate <container> [--case ID] [--mode network|pause|disconnect] [--allow ADDR]...\n"
    "             [--dry-run] [--json] [--no-fallback]\n"
    "             [--backend auto|iptables-legacy|iptables-nft|tc]\n"
    "  ir-isolate <container> --release [--dry-run] [--json]\n"
    "  ir-isolate --list [--json]\n"
    "  ir-isolate --follow",
    "  Isolates a container as responders do, choosing what to preserve:\n\n"
    "  network (default)  Quarantine rules in the DOCKER-USER chain (created if missing; Docker\n"
    "      jumps there before its own rules), plus INPUT and OUTPUT so the container cannot\n"
    "      reach the host itself, matching its host veth(s) and its addresses, both directions,\n"
    "      IPv4 and IPv6, each tagged \"forensic-quarantine:<id12>:<case>\". The container keeps\n"
    "      running: memory, processes and open sockets survive for collection, and a capture on\n"
    "      its veth still sees what it tries to send (unanswered). Applied with\n"
    "      iptables-restore --noflush, one transaction per family; a failure leaves nothing\n"
    "      applied. The backend is detected (the iptables-legacy or iptables-nft table holding\n"
    "      Docker's chains); where none does (an engine writing nftables itself, or\n"
    "      --iptables=false) the fallback is a tc clsact drop on the host veth. Limits: DNS\n"
    "      lookups through Docker's embedded resolver (127.0.0.11) are made by dockerd on the\n"
    "      host's behalf and are not stopped; ARP stays possible on the bridge.\n\n"
    "  pause  The engine's freeze (cgroup freezer). Nothing runs, so nothing more happens and\n"
    "      memory is kept as it is; but the kernel still answers TCP for the container's\n"
    "      sockets (handshakes to its listeners complete), the attacker sees the stall, and\n"
    "      you no longer observe behaviour. Collection of /proc and files works while paused.\n\n"
    "  disconnect  The engine's network disconnect from every network. Simple and complete,\n"
    "      but it destroys evidence: the veth, its addresses and routes go away, open sockets\n"
    "      fail, conntrack entries age out, and capture on the veth is no longer possible.\n"
    "      Reconnected on --release with the same aliases (and addresses, where the network's\n"
    "      subnet was user-configured).\n\n"
    "  Stopping or killing a container is not offered: it loses memory and process state.\n"
    "  --release undoes exactly what ir-isolate did (rules found by their tags, the recorded\n"
    "  pause or disconnect), leaving both firewall tables as they were. --list shows what is\n"
    "  quarantined and whether it still holds: STATUS enforced (on its current veths and\n"
    "  addresses), stale (rules name what it no longer has, and may hit another container),\n"
    "  missing (it runs unquarantined), waiting (stopped, no rule left), removed. --follow is\n"
    "  the supervisor: it keeps every recorded quarantine on its container from the engine's\n"
    "  event stream until SIGINT/SIGTERM, one line per change. A second --case on a\n"
    "  quarantined container is refused (exit 12). State is recorded in\n"
    "  /run/forensic/quarantine. A container removed while quarantined is released by the id\n"
    "  --list shows.\n",
    "JSON OUTPUT\n"
    "  {\"schema\": \"forensic.isolate/1\", \"result\": {container_id, container_name, mode,\n"
    "  backend, changed, dry_run, commands, notes, sharing_namespace, fallback_reason,\n"
    "  refused}} or, for --list, {\"schema\": \"forensic.isolate/1\", \"quarantined\":\n"
    "  [{container_id, container_name, case, mode, backend, host_veths, rules, since,\n"
    "  sharing_namespace, fallback_reason, status, in_force, matches_container,\n"
    "  current_veths, current_addresses, stale}]} (docs/json.md).\n\n"
    "EXIT STATUS OF IR-ISOLATE (besides the common ones below)\n"
    "  11   a network quarantine cannot hold for this container (macvlan, ipvlan, overlay,\n"
    "       --network host) and --no-fallback was given: nothing was changed\n"
    "  12   the container is already quarantined under another case: nothing was changed\n\n"
    "EXAMPLES\n"
    "  ir-isolate web-1 --case IR-2026-042 --allow 192.0.2.10\n"
    "  ir-isolate web-1 --dry-run\n"
    "  ir-isolate web-1 --mode pause --case IR-2026-042\n"
    "  ir-isolate --list\n"
    "  ir-isolate web-1 --release\n"
    "  ir-isolate --follow &\n"};

std::string named(const std::string& name, const std::string& id) {
  return text::escape_for_terminal(name.empty() ? "-" : name) + " (" + id.substr(0, 12) + ")";
}

void print_result(const response::isolation_result& r, bool release) {
  const std::string who =
      text::escape_for_terminal(r.container_name) + " (" + r.container_id.substr(0, 12) + ")";
  if (r.dry_run) {
    std::cout << "# dry run: " << (release ? "release of " : "quarantine of ") << who
              << "; nothing was changed. These are the exact commands:\n";
    for (const auto& c : r.commands) std::cout << c << "\n";
  } else if (!r.changed) {
    std::cout << (release ? "not quarantined: " : "already isolated: ") << who << "\n";
  } else if (release) {
    std::cout << "released " << who << "\n";
  } else {
    std::cout << "isolated " << who << ": mode " << response::to_string(r.mode) << ", backend "
              << r.backend << "\n";
  }
  if (!r.fallback_reason.empty()) {
    std::cout << "  fallback: paused, not quarantined by the firewall, because "
              << text::escape_for_terminal(r.fallback_reason) << "\n";
  }
  for (const auto& s : r.sharing_namespace) {
    std::cout << "  shares its network namespace" << (release ? ": " : " (cut off with it): ")
              << named(s.container_name, s.container_id) << "\n";
  }
  for (const auto& n : r.notes) std::cout << "  note: " << text::escape_for_terminal(n) << "\n";
}

void print_list(const std::vector<response::quarantine_record>& records) {
  cli::table t(
      {"CONTAINER", "NAME", "CASE", "MODE", "BACKEND", "SINCE", "RULES", "STATUS", "SHARED WITH"});
  for (const auto& r : records) {
    std::string shared;
    for (const auto& s : r.sharing_namespace) {
      shared += (shared.empty() ? "" : ",") +
                (s.container_name.empty() ? s.container_id.substr(0, 12) : s.container_name);
    }
    t.add_row({r.container_id.substr(0, 12), r.container_name.empty() ? "-" : r.container_name,
               r.case_id.empty() ? "-" : r.case_id, response::to_string(r.mode), r.backend,
               r.since.empty() ? "-" : r.since, std::to_string(r.rules.size()), r.status,
               shared.empty() ? "-" : shared});
  }
  if (t.empty()) {
    std::cout << "nothing is quarantined by ir-isolate\n";
    return;
  }
  t.print(std::cout);
  for (const auto& r : records) {
    for (const auto& s : r.stale) {
      std::cout << "  " << r.container_id.substr(0, 12) << " " << r.status << ": "
                << text::escape_for_terminal(s) << "\n";
    }
    if (!r.fallback_reason.empty()) {
      std::cout << "  " << r.container_id.substr(0, 12)
                << " paused instead of a network quarantine: "
                << text::escape_for_terminal(r.fallback_reason) << "\n";
    }
  }
}

bool is_hex_id(const std::string& s) {
  return s.size() >= 12 && s.size() <= 64 &&
         s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// A container removed while quarantined can still be released by the id --list shows: its
// rules are found by their tag.
response::quarantine_target resolve(engine::client& engine, const std::string& ref, bool release) {
  try {
    return response::resolve_target(engine, ref);
  } catch (const error& e) {
    if (!release || e.kind() != errc::not_found || !is_hex_id(ref)) throw;
    response::quarantine_target t;
    t.container_id = ref;
    t.container_name = "(removed container)";
    return t;
  }
}

int run(int argc, char** argv) {
  cli::po::options_description options("OPTIONS");
  options.add_options()("container", cli::po::value<std::string>()->value_name("CONTAINER"),
                        "name, id or unique id prefix")(
      "case", cli::po::value<std::string>()->value_name("ID")->default_value("adhoc"),
      "case identifier written into each rule's tag ([A-Za-z0-9._-], 64 at most)")(
      "mode", cli::po::value<std::string>()->value_name("MODE")->default_value("network"),
      "network, pause or disconnect (see DESCRIPTION)")(
      "allow", cli::po::value<std::vector<std::string>>()->value_name("ADDR"),
      "keep this address or CIDR reachable both ways, e.g. a forensic share (repeatable)")(
      "release", "undo what ir-isolate did to the container")(
      "list", "show what is quarantined now, and whether it still holds")(
      "follow",
      "supervise: keep every recorded quarantine on its container (engine events) until "
      "SIGINT/SIGTERM")("no-fallback",
                        "refuse (exit 11) instead of pausing where a network quarantine cannot "
                        "hold")("dry-run", "print the exact rules; change nothing")("json",
                                                                                    "print JSON")(
      "backend", cli::po::value<std::string>()->value_name("NAME")->default_value("auto"),
      "firewall backend: auto, iptables-legacy, iptables-nft or tc")(
      "state-dir",
      cli::po::value<std::string>()->value_name("DIR")->default_value("/run/forensic/quarantine"),
      "where quarantines are recorded");
  cli::add_engine_options(options);
  cli::po::positional_options_description positional;
  positional.add("container", 1);
  cli::po::variables_map vm;
  if (!cli::parse_command_line(argc, argv, info, options, vm, &positional)) return cli::exit_ok;

  std::optional<response::firewall_kind> forced;
  if (vm["backend"].as<std::string>() != "auto") {
    forced = response::parse_firewall_kind(vm["backend"].as<std::string>());
  }
  const bool json = vm.count("json") > 0;
  engine::client engine(cli::engine_options(vm));
  response::isolator isolator(engine, forced, vm["state-dir"].as<std::string>());

  if (vm.count("follow")) {
    const auto* stop = cli::install_interrupt_flag();
    engine.set_cancel_flag(stop);
    engine::client events_engine(cli::engine_options(vm));
    try {
      isolator.follow(events_engine, *stop, [](const std::string& line) {
        std::cout << text::escape_for_terminal(line) << std::endl;
      });
    } catch (const error& e) {
      if (e.kind() != errc::cancelled) throw;
    }
    return cli::exit_ok;  // a signal is how a supervisor is meant to stop
  }
  if (vm.count("list")) {
    auto records = isolator.list();
    if (json) {
      cli::print_json(std::cout, response::to_document(records));
    } else {
      print_list(records);
    }
    return cli::exit_ok;
  }
  if (!vm.count("container")) {
    throw error(errc::invalid_argument, "name the container to isolate (or use --list)");
  }
  const bool release = vm.count("release") > 0;
  const auto target = resolve(engine, vm["container"].as<std::string>(), release);
  response::isolation_result result;
  if (release) {
    result = isolator.release(target, vm.count("dry-run") > 0);
  } else {
    response::quarantine_options o;
    o.mode = response::parse_isolation_mode(vm["mode"].as<std::string>());
    o.case_id = vm["case"].as<std::string>();
    if (vm.count("allow")) o.allow = vm["allow"].as<std::vector<std::string>>();
    o.dry_run = vm.count("dry-run") > 0;
    o.fallback = vm.count("no-fallback") == 0;
    result = isolator.isolate(target, o);
  }
  if (result.refused != response::refusal::none) {
    if (json) {
      cli::print_json(std::cout, response::to_document(result));
    }
    std::cerr << "ir-isolate: " << named(result.container_name, result.container_id) << ": "
              << text::escape_for_terminal(result.refusal_message) << "\n";
    return result.refused == response::refusal::case_conflict ? cli::exit_case_conflict
                                                              : cli::exit_unenforceable;
  }
  if (json) {
    cli::print_json(std::cout, response::to_document(result));
  } else {
    print_result(result, release);
  }
  return cli::exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  return forensic::cli::run_tool(info, [&] { return run(argc, argv); });
}
