// ir-analyze: what happened in a container, from its evidence bundle.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/tool.hpp"
#include "forensic/analysis/analyzer.hpp"

namespace {

using namespace forensic;

const cli::tool_info info{
    "ir-analyze", "ir-analyze <bundle> [--ioc FILE] [--json | --markdown] [--out FILE]",
    "  Verifies an evidence bundle written by ir-collect as ir-verify does (every file re-hashed\n"
    "  against SHA256SUMS and manifest.json; a bundle that fails is still analysed, reported as\n"
    "  FAILED, and the exit status is 1), then reports:\n"
    "    filesystem  from engine/diff.json, filesystem/export.tar and the mounts' tars (read as\n"
    "                data, never extracted): new executables, files under /tmp, /var/tmp,\n"
    "                /dev/shm, hidden files, persistence (cron, crontabs, shell profiles, rc\n"
    "                files, authorized_keys, ld.so.preload), changed passwd/shadow/sudoers,\n"
    "                setuid/setgid bits, scripts in web roots, shell history;\n"
    "    processes   from processes/processes.json: deleted executables, programs run from\n"
    "                temporary directories, shells holding sockets, network tools; from\n"
    "                engine/events.jsonl: commands run through the engine (docker exec);\n"
    "    network     from capture/capture.pcapng: flows (5-tuple, packets, bytes, first/last\n"
    "                seen; bytes as on the wire, offload and jumbograms included; the inner\n"
    "                flows of VXLAN and Geneve; fragments in their flow; malformed IP packets\n"
    "                in \"malformed\" flows), traffic to external addresses, TCP SYNs that got\n"
    "                no answer, DNS queries and answers over UDP and TCP on any port where the\n"
    "                payload decodes as DNS (malformed messages kept and flagged); from\n"
    "                network/network.json: sockets (unexpected listeners, remote peers)\n"
    "                and conntrack flows;\n"
    "    IOCs        with --ioc: IPs, CIDRs, domains and SHA-256 digests (docs/ioc-format.md),\n"
    "                each hit saying where it was seen;\n"
    "    timeline    file mtimes (and the bodyfile's access, change and birth times),\n"
    "                process starts, docker exec, log lines, flows and DNS, in UTC, each\n"
    "                marked attacker-settable, kernel or engine by who set its clock;\n"
    "    coverage    for every artifact: present, failed (with the manifest's reason), not\n"
    "                collected, or not asked, and what each gap hides (no network state: C2\n"
    "                over the network cannot be seen).\n"
    "  Every finding names the bundle file it comes from. Any bundle file may be missing: the\n"
    "  report lists what was read and what was not.\n",
    "OUTPUT\n"
    "  Markdown for people (the default), or --json for SIEMs: schema forensic.analysis/1,\n"
    "  documented in docs/json-analysis.md. --out writes the report to FILE (mode 0600,\n"
    "  atomically) and prints its path.\n\n"
    "EXAMPLES\n"
    "  ir-analyze /evidence/IR-42-web-20261123T090000Z --ioc iocs.txt --out report.md\n"
    "  ir-analyze bundle --json | jq '.findings[] | select(.severity == \"high\")'\n"};

void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".partial";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw_errno("cannot write " + tmp, errno);
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t w = ::write(fd, text.data() + done, text.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      int e = errno;
      ::close(fd);
      throw_errno("cannot write " + tmp, e);
    }
    done += static_cast<std::size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) throw_errno("cannot write " + tmp, errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw_errno("cannot rename " + tmp, errno);
}

int run(int argc, char** argv) {
  cli::po::options_description options("OPTIONS");
  options.add_options()("bundle", cli::po::value<std::string>()->value_name("DIR"),
                        "the bundle directory")(
      "ioc", cli::po::value<std::string>()->value_name("FILE"), "indicators to look for")(
      "json", "print JSON")("markdown", "print Markdown (the default)")(
      "out,o", cli::po::value<std::string>()->value_name("FILE"), "write the report to FILE");
  cli::po::positional_options_description positional;
  positional.add("bundle", 1);
  cli::po::variables_map vm;
  if (!cli::parse_command_line(argc, argv, info, options, vm, &positional)) return cli::exit_ok;
  if (!vm.count("bundle")) throw error(errc::invalid_argument, "name the bundle directory");
  if (vm.count("json") && vm.count("markdown")) {
    throw error(errc::invalid_argument, "--json and --markdown exclude each other");
  }
  analysis::analysis_options o;
  if (vm.count("ioc")) o.iocs = analysis::ioc_set::load(vm["ioc"].as<std::string>());
  const auto report = analysis::analyze_bundle(vm["bundle"].as<std::string>(), o);
  const std::string text = vm.count("json")
                               ? analysis::to_json(report).dump(
                                     2, ' ', false, nlohmann::json::error_handler_t::replace) +
                                     "\n"
                               : analysis::to_markdown(report);
  if (vm.count("out")) {
    write_atomically(vm["out"].as<std::string>(), text);
    std::cout << "report: " << vm["out"].as<std::string>() << "\n";
  } else {
    std::cout << text;
  }
  if (report.verification.status == "failed") {
    std::cerr << "ir-analyze: the bundle FAILED verification (see the report)\n";
    return cli::exit_negative;
  }
  return cli::exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  return forensic::cli::run_tool(info, [&] { return run(argc, argv); });
}
