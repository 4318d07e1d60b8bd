// ir-locate: which container, which process talked to an address.
#include <chrono>
#include <future>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/tool.hpp"
#include "forensic/net/history.hpp"
#include "forensic/net/locate.hpp"
#include "forensic/text/terminal.hpp"

namespace {

using namespace forensic;

const cli::tool_info info{
    "ir-locate",
    "ir-locate --ip ADDR [--port N] [--nat-port N] [--capture SECONDS] [--at TIME] [--json]",
    "  Answers \"this host talked to ADDR: which container, which process?\" from what the kernel\n"
    "  holds now, without waiting for the next packet. Each match says its kind of evidence:\n"
    "    owner      a container has ADDR itself (on which network);\n"
    "    socket     a live socket to or from ADDR in any network namespace, with the process\n"
    "               holding it (host pid, pid inside the container, comm, cmdline, exe);\n"
    "    conntrack  a tracked flow between a container address and ADDR, with the NAT'd tuple\n"
    "               seen outside the host; UNREPLIED flows (a beacon nobody answers) count;\n"
    "    packet     with --capture N: packets to/from ADDR seen during N seconds on every Docker\n"
    "               bridge and every container veth at once;\n"
    "    history    with --at TIME: which container was attached to ADDR's network then.\n"
    "  IPv4 and IPv6. When the engine is down, containers are named by their cgroup id and the\n"
    "  output says their names are unknown.\n",
    "JSON OUTPUT\n"
    "  --json prints {\"schema\": \"forensic.locate/1\", \"address\", \"found\", \"matches\": "
    "[...]}:\n"
    "  docs/json-net.md.\n\n"
    "EXAMPLES\n"
    "  ir-locate --ip 198.51.100.7\n"
    "  ir-locate --ip 198.51.100.7 --nat-port 40312     # the IDS saw HOST:40312 -> ADDR\n"
    "  ir-locate --ip 2001:db8::7 --port 443 --capture 10\n"
    "  ir-locate --ip 172.18.0.5 --at '15m ago'\n"};

void print_text(const net::locate_result& r) {
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
  if (r.matches.empty())
    std::cout << "not found: nothing on this host holds or talks to " << r.address.to_string()
              << "\n";
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
      "port", cli::po::value<int>()->value_name("N"), "only flows and sockets with remote port N")(
      "nat-port", cli::po::value<int>()->value_name("N"),
      "the source port an outside sensor saw on the host's address: map it back through "
      "conntrack to the container and its own port")(
      "capture", cli::po::value<double>()->value_name("SECONDS"),
      "also watch packets to/from ADDR for SECONDS on every bridge and veth at once")(
      "at", cli::po::value<std::string>()->value_name("TIME"),
      "which container held ADDR at TIME (RFC 3339 or \"15m ago\"), from the engine's events")(
      "json", "print JSON");
  cli::add_engine_options(options);
  cli::po::variables_map vm;
  if (!cli::parse_command_line(argc, argv, info, options, vm)) return cli::exit_ok;

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
  if (vm.count("json")) {
    std::cout << net::to_json(r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    print_text(r);
  }
  return r.matches.empty() ? cli::exit_negative : cli::exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  return forensic::cli::run_tool(info, [&] { return run(argc, argv); });
}
