// ir-capture: packets exactly where a container's traffic is (its host veths, its network's
// bridge, every Docker bridge), into hashed pcapng files every analyst tool opens.
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/table.hpp"
#include "cli/tool.hpp"
#include "forensic/capture/session.hpp"
#include "forensic/io/time.hpp"
#include "forensic/net/capture_targets.hpp"
#include "forensic/text/terminal.hpp"

namespace {

using namespace forensic;

const cli::tool_info info{
    "ir-capture",
    "ir-capture (--container C | --network N | --interface IF | --all-bridges)... [--filter BPF]\n"
    "             [--peer ADDR]... [--port N]... [--duration S] [--count N] [--write FILE]\n"
    "             [--rotate-mb M] [--rotate-seconds S] [--max-total-mb T] [--pcap] [--json]",
    "  Captures packets on one or many host interfaces at once with libpcap, in one poll loop:\n"
    "  a container's host veth(s) (--container, one per network it is on), a Docker network's\n"
    "  bridge (--network: docker0, br-<id>, or its com.docker.network.bridge.name), every Docker\n"
    "  bridge (--all-bridges), or any interface (--interface). Options combine and repeat.\n\n"
    "  --container, --network and --all-bridges follow what appears while the capture runs (a\n"
    "  network created mid-incident, a container restarted with a new veth): the kernel's link\n"
    "  notifications trigger a new look through the engine, and each new interface joins the\n"
    "  pcapng as a new interface, with when it joined and left in the summary (--no-follow:\n"
    "  only what exists at start). Several interfaces share one packet socket and one kernel\n"
    "  buffer (--buffer-mb), whatever their number.\n\n"
    "  Writes pcapng (default) with one interface block per interface naming it and what it\n"
    "  belongs to, the --comment as section comment and end-of-capture statistics; or plain\n"
    "  pcap (--pcap, one link type only). Each file is written as FILE.partial, hashed with\n"
    "  SHA-256 while written, renamed when complete, and its hash recorded beside it in\n"
    "  FILE.sha256 (sha256sum -c format) and printed. Existing files are never overwritten.\n\n"
    "  Stops at the first of --duration, --count, --max-bytes, --max-total-mb, the free-space\n"
    "  guard (--min-free-mb), or Ctrl-C / SIGTERM; every stop leaves valid, hashed files and\n"
    "  prints per interface the packets received, dropped by the kernel and by the interface.\n",
    "JSON OUTPUT\n"
    "  --json prints {\"schema\": \"forensic.capture/1\", ...} on stdout at the end: files (path,\n"
    "  sha256, bytes, packets), interfaces (received, dropped_by_kernel, dropped_by_interface,\n"
    "  captured, joined, left), stop_reason, following, not_added (interfaces found but not\n"
    "  added, with why), shared_socket; see docs/json-capture.md.\n\n"
    "STOPS AND EXIT STATUS\n"
    "  Ctrl-C, SIGTERM, --duration, --count, --max-bytes, --max-total-mb and a vanished\n"
    "  interface all exit 0 with complete files. The free-space guard exits 6 (files complete).\n\n"
    "EXAMPLES\n"
    "  ir-capture --container web --duration 60 --write web.pcapng --comment 'case 4711'\n"
    "  ir-capture --network backend --peer 172.18.0.3 --port 5432 --count 1000\n"
    "  ir-capture --all-bridges --rotate-mb 100 --max-total-mb 2000 --write bridges.pcapng\n"};

std::string default_output(bool pcap) {
  return "capture-" + io::format_compact_utc() + (pcap ? ".pcap" : ".pcapng");
}

template <class T>
std::vector<T> many(const cli::po::variables_map& vm, const char* key) {
  return vm.count(key) ? vm[key].as<std::vector<T>>() : std::vector<T>{};
}

std::uint64_t mebibytes(const cli::po::variables_map& vm, const char* key) {
  const double m = vm[key].as<double>();
  if (!(m > 0)) throw error(errc::invalid_argument, std::string("--") + key + " must be positive");
  return static_cast<std::uint64_t>(m * 1024 * 1024);
}

net::capture_targets targets_from(const cli::po::variables_map& vm) {
  net::capture_targets t;
  t.containers = many<std::string>(vm, "container");
  t.networks = many<std::string>(vm, "network");
  t.interfaces = many<std::string>(vm, "interface");
  t.all_bridges = vm.count("all-bridges") > 0;
  if (t.containers.empty() && t.networks.empty() && t.interfaces.empty() && !t.all_bridges) {
    throw error(errc::invalid_argument,
                "say where to capture: --container, --network, --interface or --all-bridges");
  }
  return t;
}

capture::capture_options options_from(const cli::po::variables_map& vm) {
  capture::capture_options o;
  o.bpf_filter = capture::build_filter(vm.count("filter") ? vm["filter"].as<std::string>() : "",
                                       many<std::string>(vm, "peer"), many<int>(vm, "port"));
  capture::check_filter(o.bpf_filter);
  o.snaplen = vm["snaplen"].as<int>();
  if (vm.count("duration")) {
    const double s = vm["duration"].as<double>();
    if (!(s > 0)) throw error(errc::invalid_argument, "--duration must be positive");
    o.duration = std::chrono::milliseconds(static_cast<long long>(s * 1000));
  }
  if (vm.count("count")) o.max_packets = vm["count"].as<std::uint64_t>();
  if (vm.count("max-bytes")) o.max_bytes = vm["max-bytes"].as<std::uint64_t>();
  o.format = vm.count("pcap") ? capture::output_format::pcap : capture::output_format::pcapng;
  o.output = vm.count("write") ? vm["write"].as<std::string>() : default_output(vm.count("pcap"));
  if (vm.count("rotate-mb")) o.rotate_bytes = mebibytes(vm, "rotate-mb");
  if (vm.count("rotate-seconds")) {
    o.rotate_seconds = std::chrono::seconds(vm["rotate-seconds"].as<unsigned>());
  }
  if (vm.count("max-total-mb")) o.max_total_bytes = mebibytes(vm, "max-total-mb");
  o.min_free_bytes = static_cast<std::uint64_t>(vm["min-free-mb"].as<double>() * 1024 * 1024);
  if (vm.count("comment")) o.comment = vm["comment"].as<std::string>();
  o.buffer_bytes = static_cast<int>(mebibytes(vm, "buffer-mb"));
  o.immediate = vm.count("immediate") > 0;
  o.promiscuous = vm.count("no-promiscuous") == 0;
  return o;
}

void print_summary(const capture::capture_result& r) {
  auto esc = [](const std::string& s) { return text::escape_for_terminal(s); };
  std::cout << "stopped: " << esc(r.message) << "\n";
  std::cout << r.packets << " packets, " << r.bytes << " bytes captured\n\n";
  cli::table t({"INTERFACE", "CAPTURED", "RECEIVED", "DROPPED(KERNEL)", "DROPPED(IF)", "WHAT"}, 90);
  auto at = [](std::chrono::system_clock::time_point when) {
    return io::format_rfc3339(when, io::time_precision::millis);
  };
  for (const auto& i : r.interfaces) {
    std::string what = i.description;
    if (i.joined != r.started) what += " [joined " + at(i.joined) + "]";
    if (i.left) what += " [left " + at(*i.left) + "]";
    t.add_row({i.name, std::to_string(i.captured), std::to_string(i.received),
               i.dropped_by_kernel_known ? std::to_string(i.dropped_by_kernel) : "?",
               std::to_string(i.dropped_by_interface), what});
  }
  t.print(std::cout);
  std::cout << "\n";
  if (r.shared_socket) {
    std::cout << "shared packet socket: " << r.shared_socket->received << " received, "
              << r.shared_socket->dropped_by_kernel << " dropped by the kernel\n";
  }
  for (const auto& n : r.not_added) {
    std::cout << "not added: " << esc(n.name) << " (" << esc(n.description) << ") at " << at(n.at)
              << ": " << esc(n.reason) << "\n";
  }
  for (const auto& f : r.files) {
    std::cout << f.sha256 << "  " << esc(f.path.string()) << "  (" << f.packets << " packets, "
              << f.bytes << " bytes)\n";
  }
}

int run(int argc, char** argv) {
  cli::po::options_description where("WHERE");
  where.add_options()("container,c", cli::po::value<std::vector<std::string>>()->value_name("C"),
                      "a container's host veth(s), by name or id (repeatable)")(
      "network,n", cli::po::value<std::vector<std::string>>()->value_name("N"),
      "the bridge of a Docker network (repeatable)")(
      "interface,i", cli::po::value<std::vector<std::string>>()->value_name("IF"),
      "a host interface (repeatable)")("all-bridges", "docker0 and every Docker bridge")(
      "no-follow",
      "capture only what exists at start (default: --container, --network and --all-bridges "
      "add the interfaces that appear)");
  cli::po::options_description what("WHAT AND HOW LONG");
  what.add_options()("filter,f", cli::po::value<std::string>()->value_name("BPF"),
                     "libpcap filter, as tcpdump's")(
      "peer", cli::po::value<std::vector<std::string>>()->value_name("ADDR"),
      "only traffic to or from ADDR or ADDR/LEN (repeatable: any of them)")(
      "port", cli::po::value<std::vector<int>>()->value_name("N"),
      "only traffic on port N (repeatable: any of them)")(
      "snaplen,s", cli::po::value<int>()->default_value(262144)->value_name("BYTES"),
      "bytes kept of each packet")("duration,d", cli::po::value<double>()->value_name("S"),
                                   "stop after S seconds")(
      "count", cli::po::value<std::uint64_t>()->value_name("N"), "stop after N packets")(
      "max-bytes", cli::po::value<std::uint64_t>()->value_name("B"),
      "stop after B bytes of packet data");
  cli::po::options_description out("OUTPUT");
  out.add_options()("write,w", cli::po::value<std::string>()->value_name("FILE"),
                    "output file (default capture-<UTC time>.pcapng here)")(
      "pcap", "plain pcap instead of pcapng (one link type only)")(
      "rotate-mb", cli::po::value<double>()->value_name("M"),
      "new file after M MiB: FILE-00001.pcapng, FILE-00002.pcapng, ...")(
      "rotate-seconds", cli::po::value<unsigned>()->value_name("S"), "new file every S seconds")(
      "max-total-mb", cli::po::value<double>()->value_name("T"),
      "stop before all files together exceed T MiB")(
      "min-free-mb", cli::po::value<double>()->default_value(100)->value_name("F"),
      "stop before the output disk has less than F MiB free")(
      "comment", cli::po::value<std::string>()->value_name("TEXT"),
      "pcapng section comment: case number, operator, reason")(
      "json", "print the summary as JSON on stdout");
  cli::po::options_description tuning("TUNING");
  tuning.add_options()("buffer-mb", cli::po::value<double>()->default_value(32)->value_name("M"),
                       "kernel buffer (per interface with its own handle; one for all shared)")(
      "immediate", "deliver each packet at once (default: kernel batches, fewer wake-ups)")(
      "no-promiscuous",
      "do not put interfaces in promiscuous mode (a bridge then sees only "
      "traffic to the host)");
  cli::po::options_description options;
  options.add(where).add(what).add(out).add(tuning);
  cli::add_engine_options(options);
  cli::po::variables_map vm;
  if (!cli::parse_command_line(argc, argv, info, options, vm)) return cli::exit_ok;

  auto o = options_from(vm);
  const auto targets = targets_from(vm);
  engine::client engine(cli::engine_options(vm));
  o.interfaces = net::resolve_targets(engine, targets);
  // --container, --network and --all-bridges follow what appears (a container restarting, a
  // network created mid-incident); the follower has its own engine connection.
  if (vm.count("no-follow") == 0 &&
      (!targets.containers.empty() || !targets.networks.empty() || targets.all_bridges)) {
    auto follower = std::make_shared<engine::client>(cli::engine_options(vm));
    o.follow = [follower, targets] { return net::targets_now(*follower, targets); };
  }
  o.stop_flag = cli::install_interrupt_flag();
  const bool json = vm.count("json") > 0;

  capture::capture_session session(o);
  session.start();
  std::cerr << "ir-capture: capturing on";
  for (const auto& i : o.interfaces) {
    std::cerr << " " << text::escape_for_terminal(i.name)
              << (i.description.empty() ? ""
                                        : " (" + text::escape_for_terminal(i.description) + ")");
  }
  std::cerr << (o.bpf_filter.empty() ? "" : ", filter '" + o.bpf_filter + "'") << " -> "
            << text::escape_for_terminal(o.output.string()) << "; Ctrl-C stops\n";
  const bool progress = !json && ::isatty(STDERR_FILENO);
  while (!session.done()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (progress) std::cerr << "\r" << session.packets() << " packets " << std::flush;
  }
  if (progress) std::cerr << "\r";
  const auto r = session.wait();
  if (json) {
    cli::print_json(std::cout, capture::to_json(r));
  } else {
    print_summary(r);
  }
  for (const auto& w : r.warnings) {
    std::cerr << "ir-capture: warning: " << text::escape_for_terminal(w) << "\n";
  }
  if (r.reason == capture::stop_reason::disk_space) {
    std::cerr << "ir-capture: " << r.message << "\n";
    return cli::exit_io;
  }
  return cli::exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  return forensic::cli::run_tool(info, [&] { return run(argc, argv); });
}
