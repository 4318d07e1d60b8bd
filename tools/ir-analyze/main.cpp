// ir-analyze: what happened in a container, from its evidence bundle.
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli/tool.hpp"
#include "forensic/analysis/analyzer.hpp"
#include "forensic/formats/html.hpp"
#include "forensic/formats/siem.hpp"
#include "forensic/formats/timeline.hpp"

namespace {

using namespace forensic;

const cli::tool_info info{
    "ir-analyze",
    "ir-analyze <bundle> [--ioc FILE] [--yara RULES] [--format FORMAT | --json | --markdown] "
    "[--out FILE]",
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
    "    escape      from processes/escape-audit.json (the kernel's view): capabilities such\n"
    "                as CAP_SYS_ADMIN in effect, no seccomp filter, AppArmor unconfined, uid 0\n"
    "                without a user namespace, host paths and engine sockets mounted, devices\n"
    "                added; the hardening it runs without (no_new_privs, read-only root, user\n"
    "                namespace);\n"
    "    network     from capture/capture.pcapng: flows (5-tuple, packets, bytes, first/last\n"
    "                seen; bytes as on the wire, offload and jumbograms included; the inner\n"
    "                flows of VXLAN and Geneve; fragments in their flow; malformed IP packets\n"
    "                in \"malformed\" flows), traffic to external addresses, TCP SYNs that got\n"
    "                no answer, DNS queries and answers over UDP and TCP on any port where the\n"
    "                payload decodes as DNS (malformed messages kept and flagged); from\n"
    "                network/network.json: sockets (unexpected listeners, remote peers)\n"
    "                and conntrack flows;\n"
    "    IOCs        with --ioc: IPs, CIDRs, domains and SHA-256 digests (docs/ioc-format.md),\n"
    "                each hit saying where it was seen; the file is the project's text\n"
    "                format, a STIX 2.1 bundle or a MISP event (JSON, told apart by content);\n"
    "    YARA        with --yara (a rule file, or a directory of *.yar/*.yara): every regular\n"
    "                file of the export, the deep paths and the mounts' tars (each up to\n"
    "                --yara-max-file bytes, a note when cut), and the process memory cores\n"
    "                (memory/*.core); each match names the rule, its tags, the bundle file\n"
    "                and the path inside it or the offset (and address) in the core;\n"
    "    kernel      from hunt/hunt.json (ir-collect --artifacts hunt): namespaces no\n"
    "                container owns, nested pid namespaces, processes entered from outside;\n"
    "    timeline    file mtimes (and the bodyfile's access, change and birth times),\n"
    "                process starts, docker exec, log lines, flows and DNS, in UTC, each\n"
    "                marked attacker-settable, kernel or engine by who set its clock;\n"
    "    coverage    for every artifact: present, failed (with the manifest's reason), not\n"
    "                collected, or not asked, and what each gap hides (no network state: C2\n"
    "                over the network cannot be seen; no memory/ cores: in-memory implants\n"
    "                cannot be seen).\n"
    "  Every finding names the bundle file it comes from. Any bundle file may be missing: the\n"
    "  report lists what was read and what was not.\n",
    "OUTPUT\n"
    "  --format (docs/formats.md):\n"
    "    markdown    for people (the default; --markdown)\n"
    "    json        schema forensic.analysis/1, docs/json-analysis.md (--json)\n"
    "    ecs         Elastic Common Schema, one JSON object a line: findings (event.kind\n"
    "                alert), process starts, file times and flows (event.kind event)\n"
    "    ocsf        OCSF 1.7 lines: Detection Finding, Process Activity, File System\n"
    "                Activity, Network Activity\n"
    "    timesketch  the timeline as Timesketch JSONL (message, datetime, timestamp_desc)\n"
    "    bodyfile    the bundle's MAC-time bodyfile for `mactime -b` (as recorded; a\n"
    "                bodyfile that failed verification is not handed on: exit 1)\n"
    "    html        one self-contained page (nothing fetched, no script): findings by\n"
    "                severity, coverage, the timeline and the network placement drawn\n"
    "  --out writes the report to FILE (mode 0600, atomically) and prints its path.\n"
    "  YARA rules that do not compile are a usage error (exit 2), each compiler error with\n"
    "  its file and line.\n\n"
    "EXAMPLES\n"
    "  ir-analyze /evidence/IR-42-web-20261123T090000Z --ioc iocs.txt --out report.md\n"
    "  ir-analyze bundle --json | jq '.findings[] | select(.severity == \"high\")'\n"};

int run(int argc, char** argv) {
  cli::po::options_description options("OPTIONS");
  options.add_options()("bundle", cli::po::value<std::string>()->value_name("DIR"),
                        "the bundle directory")(
      "ioc", cli::po::value<std::string>()->value_name("FILE"),
      "indicators to look for (text, STIX 2.1 or MISP JSON)")(
      "yara", cli::po::value<std::string>()->value_name("RULES"),
      "YARA rule file or directory to run over files and memory cores")(
      "yara-max-file", cli::po::value<std::size_t>()->value_name("BYTES"),
      "scan at most BYTES of each tar member (default 67108864)")(
      "format", cli::po::value<std::string>()->value_name("FORMAT"),
      "markdown, json, ecs, ocsf, timesketch, bodyfile or html")(
      "json", "the same as --format json")("markdown", "the same as --format markdown")(
      "out,o", cli::po::value<std::string>()->value_name("FILE"), "write the report to FILE");
  cli::po::positional_options_description positional;
  positional.add("bundle", 1);
  cli::po::variables_map vm;
  if (!cli::parse_command_line(argc, argv, info, options, vm, &positional)) return cli::exit_ok;
  if (!vm.count("bundle")) throw error(errc::invalid_argument, "name the bundle directory");
  if (vm.count("json") + vm.count("markdown") + vm.count("format") > 1) {
    throw error(errc::invalid_argument, "--format, --json and --markdown exclude each other");
  }
  std::string format = vm.count("json") ? "json" : "markdown";
  if (vm.count("format")) format = vm["format"].as<std::string>();
  static const std::set<std::string> formats{"markdown",   "json",     "ecs", "ocsf",
                                             "timesketch", "bodyfile", "html"};
  if (!formats.count(format)) {
    throw error(
        errc::invalid_argument,
        "unknown format '" + format + "' (markdown, json, ecs, ocsf, timesketch, bodyfile, html)");
  }
  analysis::analysis_options o;
  if (vm.count("ioc")) o.iocs = analysis::ioc_set::load(vm["ioc"].as<std::string>());
  if (vm.count("yara")) {
    try {
      o.yara = std::make_shared<const analysis::yara_rules>(
          analysis::yara_rules::compile(vm["yara"].as<std::string>()));
    } catch (const error& e) {
      // Rules that do not compile are the user's input, not a peer's reply: a usage error.
      if (e.code() != errc::parse) throw;
      throw error(errc::invalid_argument, e.what());
    }
  }
  if (vm.count("yara-max-file")) {
    o.yara_member_cap = vm["yara-max-file"].as<std::size_t>();
    if (o.yara_member_cap == 0) throw error(errc::invalid_argument, "--yara-max-file must be > 0");
  }
  const auto report = analysis::analyze_bundle(vm["bundle"].as<std::string>(), o);
  std::string text;
  if (format == "json") {
    text = analysis::to_json(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
           "\n";
  } else if (format == "markdown") {
    text = analysis::to_markdown(report);
  } else if (const auto siem = formats::parse_siem_format(format)) {
    text = formats::to_json_lines(formats::siem_records(report), *siem,
                                  formats::current_context(report.case_id));
  } else if (format == "html") {
    text = formats::to_html(report);
  } else if (format == "timesketch") {
    text = formats::to_timesketch_jsonl(report);
  } else {
    std::ostringstream body;
    formats::copy_bodyfile(report, body);
    text = body.str();
  }
  if (vm.count("out")) {
    cli::write_file_atomically(vm["out"].as<std::string>(), text);
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
