// ir-collect: one command that collects everything a responder needs from one container, in
// order of volatility, into a hashed, manifest-described bundle.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/tool.hpp"
#include "forensic/evidence/collector.hpp"
#include "forensic/text/terminal.hpp"

namespace {

using namespace forensic;

const cli::tool_info info{
    "ir-collect",
    "ir-collect CONTAINER [--out DIR] [--case ID] [--operator NAME] [--no-pause]\n"
    "             [--leave-paused] [--capture SECONDS] [--artifacts LIST] [--archive tar|tar.zst]\n"
    "             [--sign KEY] [--keep-image] [--json] [--host URI]",
    "  Collects evidence from one container, most volatile first: engine inspect of the container\n"
    "  and of its image with the image history (inspect, image), its processes read from the\n"
    "  host's /proc, never by running anything inside it (processes: ppid, uids, start time,\n"
    "  argv, environment, cwd, exe and its SHA-256, a deleted exe flagged and copied, open fds,\n"
    "  memory maps), key files read inside its root without following links out of it (files),\n"
    "  network state (network), stdout and stderr logs with engine timestamps (logs); then,\n"
    "  with the container paused, the filesystem diff (diff), a tar export of its filesystem\n"
    "  (export; entries nested too deep for the engine to reach, PATH_MAX, are read from the\n"
    "  host into filesystem/deep-paths.tar and reported as an export failure) and a commit\n"
    "  saved in image-archive format, loadable with `docker load -i` (commit). The committed\n"
    "  image, tagged forensic/<case>-<name>:<time> and labelled with the case, is removed from\n"
    "  the engine once saved (nothing the collection creates outlives it); --keep-image keeps\n"
    "  it there (--remove-image, the former opt-in, is accepted and changes nothing). With\n"
    "  --capture N the container's traffic is captured on its host veths from first to last\n"
    "  step, at least N s.\n"
    "\n"
    "  The bundle is <out>/<case>-<name>-<UTC time>/ (mode 0700, files 0600), written as\n"
    "  <...>.partial/ and renamed only when complete: manifest.json, SHA256SUMS (check with\n"
    "  `sha256sum -c SHA256SUMS` inside it, or with ir-verify), custody.jsonl (every step and\n"
    "  engine request with the SHA-256 of its response), and the artifacts (docs/bundle.md).\n"
    "  The container is unpaused on every path, Ctrl-C included. An artifact that fails is\n"
    "  recorded in the manifest and the others are still taken: the bundle is then complete\n"
    "  as a record but exit status is 1.\n",
    "ARTIFACTS\n"
    "  inspect, image, processes, files, network, logs, diff, export, commit, capture\n"
    "  (all but capture by default; capture is added by --capture).\n\n"
    "EXAMPLES\n"
    "  ir-collect web --case IR-2041 --out /srv/evidence\n"
    "  ir-collect web --artifacts export --no-pause --archive tar.zst\n"
    "  ir-collect web --capture 60 --sign /etc/forensic/ed25519.pem --json\n"};

void print_progress(const evidence::collect_progress& p) {
  if (p.finished) {
    std::fprintf(stderr, "\r\033[K");
    return;
  }
  const double mib = static_cast<double>(p.bytes) / (1 << 20);
  const double rate = p.seconds > 0 ? mib / p.seconds : 0;
  std::fprintf(stderr, "\r\033[K%s: %.1f MiB, %.1f MiB/s", p.step.c_str(), mib, rate);
  std::fflush(stderr);
}

nlohmann::json to_json(const evidence::collect_result& r) {
  nlohmann::json artifacts = nlohmann::json::array(), failures = nlohmann::json::array();
  for (const auto& a : r.artifacts) {
    artifacts.push_back({{"artifact", a.artifact}, {"path", a.path}, {"size", a.size}, {"sha256", a.sha256}});
  }
  for (const auto& f : r.failures) {
    failures.push_back({{"artifact", f.artifact}, {"error", f.error}, {"message", f.message}});
  }
  nlohmann::json j = {{"schema", "forensic.collect/1"},
                      {"bundle", r.bundle.string()},
                      {"container", {{"id", r.container_id}, {"name", r.container_name}}},
                      {"pause", r.pause_note},
                      {"artifacts", artifacts},
                      {"failures", failures},
                      {"complete", r.complete()}};
  if (r.archive) {
    j["archive"] = {{"path", r.archive->path.string()}, {"sha256", r.archive->sha256}};
  }
  return j;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

int run(int argc, char** argv) {
  cli::po::options_description options("OPTIONS");
  options.add_options()("container", cli::po::value<std::string>()->required(), "container id or name")(
      "out,o", cli::po::value<std::string>()->default_value(".")->value_name("DIR"),
      "directory that receives the bundle")(
      "case", cli::po::value<std::string>()->default_value("case")->value_name("ID"),
      "case identifier (bundle name, manifest, image labels)")(
      "operator", cli::po::value<std::string>()->value_name("NAME"),
      "who collects (default: $SUDO_USER, the login uid's name, or $USER)")(
      "no-pause", "do not pause for diff/export/commit (the copy may be inconsistent)")(
      "leave-paused", "keep the container paused afterwards (containment)")(
      "capture", cli::po::value<unsigned>()->value_name("SECONDS"),
      "capture its traffic from the first to the last step, at least SECONDS")(
      "artifacts", cli::po::value<std::string>()->value_name("LIST"),
      "comma-separated subset of the artifacts (see ARTIFACTS)")(
      "archive", cli::po::value<std::string>()->value_name("tar|tar.zst"),
      "also pack the bundle into one reproducible archive plus <archive>.sha256")(
      "sign", cli::po::value<std::string>()->value_name("KEY"),
      "sign manifest.json with this Ed25519 PEM private key (manifest.json.sig)")(
      "keep-image", "keep the committed image in the engine (default: removed once saved)")(
      "remove-image", "accepted for compatibility: removing the image is the default")(
      "json", "print the result as JSON on stdout");
  cli::add_engine_options(options);
  cli::po::positional_options_description positional;
  positional.add("container", 1);
  cli::po::variables_map vm;
  if (!cli::parse_command_line(argc, argv, info, options, vm, &positional)) return cli::exit_ok;

  evidence::collect_options o;
  o.container = vm["container"].as<std::string>();
  o.out_dir = vm["out"].as<std::string>();
  o.case_id = vm["case"].as<std::string>();
  if (vm.count("operator")) o.operator_name = vm["operator"].as<std::string>();
  o.pause = vm.count("no-pause") == 0;
  o.leave_paused = vm.count("leave-paused") > 0;
  if (vm.count("capture")) o.capture = std::chrono::seconds(vm["capture"].as<unsigned>());
  if (vm.count("artifacts")) o.artifacts = split_list(vm["artifacts"].as<std::string>());
  if (vm.count("archive")) o.archive = evidence::parse_archive_format(vm["archive"].as<std::string>());
  if (vm.count("sign")) o.sign_key = vm["sign"].as<std::string>();
  o.keep_commit_image = vm.count("keep-image") > 0;
  o.cancel_flag = cli::install_interrupt_flag();

  engine::client engine(cli::engine_options(vm));
  evidence::collector collector(engine, o);
  if (::isatty(STDERR_FILENO) == 1) collector.on_progress(print_progress);
  const auto result = collector.run();

  for (const auto& f : result.failures) {
    std::cerr << "ir-collect: " << f.artifact << " not collected: " << text::escape_for_terminal(f.message)
              << "\n";
  }
  if (vm.count("json")) {
    std::cout << to_json(result).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << text::escape_for_terminal(result.bundle.string()) << "\n";
    if (result.archive) std::cout << text::escape_for_terminal(result.archive->path.string()) << "\n";
  }
  return result.complete() ? cli::exit_ok : cli::exit_negative;
}

}  // namespace

int main(int argc, char** argv) {
  return forensic::cli::run_tool(info, [&] { return run(argc, argv); });
}
