// ir-locate: which container, which process talked to an address.
#include <chrono>
#include <future>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/tool.hpp"
#include "forensic/formats/siem.hpp"
#include "forensic/net/history.hpp"
#include "forensic/net/locate.hpp"
#include "forensic/text/terminal.hpp"

namespace {

using namespace forensic;

const cli::tool_info info{
    "ir-locate",
    "ir-locate --ip ADDR [--port N] [--nat-port N] [--capture SECONDS] [--at TIME]\n"
    "                 [--json | --format ecs|ocsf]",
    "  Answers \"this host talked to ADDR: which container, which process?\" from what the kernel\n"
    "  holds now, without waiting for the next packet. Each match says its kind of evidence:\n"
    "    owner      a container has ADDR itself (on which network); or ADDR is the host's own\n"
    "               (loopback too), with every host-network container named;\n"
    "    socket     a live socket to or from ADDR in any network namespace, with the process\n"
    "               holding it (host pid, pid inside the container, comm, cmdline, exe) and the\n"
    "               container its cgroup names (a host-network container on the host's ADDR);\n"
    "    publish    ADDR is the host's own and a docker-proxy forwards ADDR:PORT to a container;\n"
    "    conntrack  a tracked flow with ADDR, NAT undone both ways: masqueraded out (ADDR the\n"
    "               remote end, or the host's address it left as, with --nat-port), published\n"
    "               in (DNAT or docker-proxy); UNREPLIED flows (a beacon nobody answers) count;\n"
    "               identical flows are one line with a count and first/last seen;\n"
    "    packet     with --capture N: packets to/from ADDR seen during N seconds on every Docker\n"
    "               bridge and every container veth at once;\n"
    "    history    with --at TIME: which container was attached to ADDR's network then.\n"
    "  --port and --nat-port narrow every kind (sockets and proxies too). Containers sharing\n"
    "  the holder's network namespace are named with it. IPv4 and IPv6 (a zone is kept). When\n"
    "  the engine is down, containers are named by their cgroup id and the output says their\n"
    "  names are unknown.\n",
    "JSON OUTPUT\n"
    "  --json prints {\"schema\": \"forensic.locate/1\", \"address\", \"found\", \"matches\": "
    "[...]}:\n"
    "  docs/json-net.md.\n"
    "  --format ecs or --format ocsf prints one line per match for a SIEM (ECS event.kind\n"
    "  event, network; OCSF Network Activity), process and container included:\n"
    "  docs/formats.md.\n\n"
    "EXAMPLES\n"
    "  ir-locate --ip 198.51.100.7\n"
    "  ir-locate --ip 198.51.100.7 --nat-port 40312     # the IDS saw HOST:40312 -> ADDR\n"
    "  ir-locate --ip 192.0.2.10 --nat-port 40312       # the same, asked by the host's address\n"
    "  ir-locate --ip 127.0.0.1 --port 8080             # who is published on 127.0.0.1:8080\n"
    "  ir-locate --ip 2001:db8::7 --port 443 --capture 10\n"
    "  ir-locate --ip 172.18.0.5 --at '15m ago'\n"};

void print_text(const net::locate_result& r, const net::locate_options& asked, bool at) {
  for (const auto& m : r.matches) {
    std::cout << m.kind << ": " << text::escape_for_terminal(m.summary) << "\n";
    if (m.socket && m.socket->owner.pid) {
      const auto& o = m.socket->owner;
      std::string cmd;
      for (const auto& a : o.cmdline) cmd += (cmd.empty() ? "" : " ") + a;
      std::cout << "    process: pid " << o.pid << " (in container: " << o.ns_pid << ") comm "
                << text::escape_for_terminal(o.comm) << " exe " << text::escape_for_terminal(o.exe)
                << "\n    cmdline: " << text::escape_for_terminal(cmd) << "\n";
    }
  }
  if (r.matches.empty()) {
    std::string what = net::address_text(r.address);
    if (asked.port) what += " with port " + std::to_string(*asked.port);
    if (asked.nat_port) what += " through host port " + std::to_string(*asked.nat_port);
    // --at answers about a past moment: what holds ADDR now is another question.
    std::cout << (at ? "not found: no container is known to have held "
                     : "not found: nothing on this host holds or talks to ")
              << text::escape_for_terminal(what) << "\n";
  }
  for (const auto& w : r.warnings) {
    std::cerr << "ir-locate: warning: " << text::escape_for_terminal(w) << "\n";
  }
}

std::uint16_t port_option(const cli::po::variables_map& vm, const char* name) {
  const int v = vm[name].as<int>();
  if (v < 1 || v > 65535) {
    throw error(errc::invalid_argument, std::string("--") + name + " must be 1..65535");
  }
  return static_cast<std::uint16_t>(v);
}

int run(int argc, char** argv) {
  cli::po::options_description options("OPTIONS");
  options.add_options()("ip", cli::po::value<std::string>()->value_name("ADDR")->required(),
                        "the address to locate (IPv4 or IPv6)")(
      "port", cli::po::value<int>()->value_name("N"),
      "only connections whose service port is N: ADDR's port when something here connected to "
      "it, the port ADDR connected to when it connected in")(
      "nat-port", cli::po::value<int>()->value_name("N"),
      "the source port an outside sensor saw on the host's address: map it back through "
      "conntrack to the container and its own port")(
      "capture", cli::po::value<double>()->value_name("SECONDS"),
      "also watch packets to/from ADDR for SECONDS on every bridge and veth at once")(
      "at", cli::po::value<std::string>()->value_name("TIME"),
      "which container held ADDR at TIME (RFC 3339 or \"15m ago\"), from the engine's events")(
      "json", "print JSON")("format", cli::po::value<std::string>()->value_name("FORMAT"),
                            "ecs or ocsf: one JSON line per match for a SIEM");
  cli::add_engine_options(options);
  cli::po::variables_map vm;
  if (!cli::parse_command_line(argc, argv, info, options, vm)) return cli::exit_ok;
  const auto siem = cli::siem_format_option(vm);

  net::locate_options o;
  o.address = vm["ip"].as<std::string>();
  if (vm.count("port")) o.port = port_option(vm, "port");
  if (vm.count("nat-port")) o.nat_port = port_option(vm, "nat-port");
  if (!io::parse_ip(o.address)) {
    throw error(errc::invalid_argument, "'" + o.address + "' is not an IPv4 or IPv6 address");
  }
  const auto* stop = cli::install_interrupt_flag();
  engine::client engine(cli::engine_options(vm));
  engine.set_cancel_flag(stop);

  // The capture runs while the lookups do, on its own engine connection: the command lasts
  // about the capture, not the lookups and then the capture.
  std::future<std::vector<net::locate_match>> capture;
  if (vm.count("capture")) {
    const double seconds = vm["capture"].as<double>();
    if (!(seconds > 0) || seconds > 3600) {
      throw error(errc::invalid_argument, "--capture must be between 0 and 3600 seconds");
    }
    auto capture_engine = std::make_shared<engine::client>(cli::engine_options(vm));
    capture_engine->set_cancel_flag(stop);
    const auto duration = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    capture = std::async(std::launch::async, [capture_engine, o, duration, stop] {
      return net::capture_address(capture_engine.get(), o, duration, stop);
    });
  }
  net::locate_result r;
  if (vm.count("at")) {
    r = net::locate_at(engine, o, net::parse_time(vm["at"].as<std::string>()));
  } else {
    r = net::locate(&engine, o);
  }
  if (capture.valid()) {
    auto packets = capture.get();
    r.matches.insert(r.matches.end(), packets.begin(), packets.end());
    if (stop->load()) return cli::exit_interrupted;
  }
  if (siem) {
    std::cout << formats::to_json_lines(formats::siem_records(r), *siem,
                                        formats::current_context());
    for (const auto& w : r.warnings) {
      std::cerr << "ir-locate: warning: " << text::escape_for_terminal(w) << "\n";
    }
  } else if (vm.count("json")) {
    cli::print_json(std::cout, net::to_json(r));
  } else {
    print_text(r, o, vm.count("at") > 0);
  }
  return r.matches.empty() ? cli::exit_negative : cli::exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  return forensic::cli::run_tool(info, [&] { return run(argc, argv); });
}
