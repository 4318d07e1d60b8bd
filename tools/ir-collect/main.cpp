// ir-collect: one command that collects everything a responder needs from one container, in
// order of volatility, into a hashed, manifest-described bundle.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/tool.hpp"
#include "forensic/evidence/collection_lock.hpp"
#include "forensic/evidence/collector.hpp"
#include "forensic/text/terminal.hpp"

namespace {

using namespace forensic;

const cli::tool_info info{
    "ir-collect",
    "ir-collect CONTAINER [--out DIR] [--case ID] [--operator NAME] [--no-pause]\n"
    "             [--leave-paused] [--capture SECONDS] [--artifacts LIST] [--archive tar|tar.zst]\n"
    "             [--sign KEY] [--keep-image] [--mount-limit MIB] [--mount-copy-system]\n"
    "             [--memory-limit MIB]\n"
    "             [--json] [--host URI]",
    "  Collects evidence from one container, most volatile first: engine inspect of the container\n"
    "  and of its image with the image history (inspect, image), its processes read from the\n"
    "  host's /proc, never by running anything inside it (processes: ppid, uids, start time,\n"
    "  argv, environment, cwd, exe and its SHA-256, a deleted exe flagged and copied, open fds,\n"
    "  memory maps; and an escape audit from the kernel: capabilities in effect, seccomp,\n"
    "  AppArmor, user namespace, host paths mounted, devices, processes/escape-audit.json),\n"
    "  key files read inside its root without following links out of it (files),\n"
    "  network state (network), stdout and stderr logs with engine timestamps (logs); then,\n"
    "  with the container paused: first the MAC times of its writable layer and of its copied\n"
    "  mounts, with statx only, before anything reads a file and moves its access time\n"
    "  (filesystem/bodyfile.txt, for `mactime -b`; taken with export or mounts, engine on this\n"
    "  host only), the filesystem diff (diff), what is mounted into it besides its image, which\n"
    "  the export leaves out (mounts: tmpfs mounts such as /dev/shm, named volumes, bind mounts,\n"
    "  read through its root without following links out of it, one pax tar per mount under\n"
    "  mounts/ and mounts/mounts.json; bind mounts of host system paths such as /, /etc, /run,\n"
    "  /var/lib/docker or the engine socket are listed, not copied, unless --mount-copy-system;\n"
    "  at most --mount-limit MiB of file content per mount, files past it are left out, named\n"
    "  in the custody log, and the mounts artifact is reported as failed), a tar export of its\n"
    "  filesystem (export; entries nested too deep for the engine to reach, PATH_MAX, are read\n"
    "  from the host into filesystem/deep-paths.tar and reported as an export failure) and an\n"
    "  image loadable with `docker load -i` (commit): the export as its one layer, the\n"
    "  container's config, tagged forensic/<case>-<name>:<time> and labelled with the case;\n"
    "  nothing is written into the engine. Without the export the engine commits the container\n"
    "  instead, its image is saved and then removed from the engine (nothing the collection\n"
    "  creates outlives it) unless --keep-image (--remove-image, the former opt-in, is accepted\n"
    "  and changes nothing). The engine's history of it (events): its\n"
    "  events since it was created and the create/start/exec/die/destroy of every container in\n"
    "  that time, taken before the first step and after the last (so the collection's own pause\n"
    "  is in it), with a note when the engine's bounded memory no longer reaches\n"
    "  back to the creation; and, when the engine is on this host's socket, its own files for\n"
    "  the container (config.v2.json, hostconfig.json, hosts, resolv.conf, the json-file log\n"
    "  and its rotations) copied byte for byte without touching their access times. Processes\n"
    "  are found by cgroup, pid namespace (and those nested in it) and mount namespace, one\n"
    "  entered from the host (nsenter) flagged. With --capture N the container's traffic is\n"
    "  captured on its host veths from first to last step, at least N s.\n"
    "\n"
    "  Process memory (memory, only when asked with --artifacts): with the container paused\n"
    "  (unless --no-pause), every process found as above is read from the host through\n"
    "  /proc/<pid>/maps and /proc/<pid>/mem (no ptrace attach, nothing run or injected) into\n"
    "  an ELF core memory/<pid>.core (one PT_LOAD per mapping; NT_PRSTATUS per thread with\n"
    "  zero registers, NT_PRPSINFO, NT_AUXV, NT_FILE) that readelf, gdb -c and strings open,\n"
    "  and memory/memory.json lists each mapping read or skipped with the reason ([vvar],\n"
    "  no read permission, device, unreadable pages written as zeros). At most --memory-limit\n"
    "  MiB of memory in all (default 4096): mappings past it are listed as skipped, the\n"
    "  custody log notes it and the memory artifact is reported as failed.\n"
    "\n"
    "  The bundle is <out>/<case>-<name>-<UTC time>/ (mode 0700, files 0600), written as\n"
    "  <...>.partial/ and renamed only when complete: manifest.json, SHA256SUMS (check with\n"
    "  `sha256sum -c SHA256SUMS` inside it, or with ir-verify), custody.jsonl (every step and\n"
    "  engine request with the SHA-256 of its response), and the artifacts (docs/bundle.md).\n"
    "  The container is unpaused on every path, Ctrl-C included. An artifact that fails is\n"
    "  recorded in the manifest and the others are still taken: the bundle is then complete\n"
    "  as a record but exit status is 1.\n"
    "\n"
    "  The hunt artifact (hunt/hunt.json) is ir-hunt's reconciliation of this host's kernel\n"
    "  with the engine, kept to what concerns the container: processes in its namespaces but\n"
    "  outside its cgroup, pid namespaces nested in it, namespaces no container owns with a\n"
    "  veth on one of its bridges (docs/json-hunt.md).\n"
    "\n"
    "  Host-side artifacts (processes, files, network, hunt, capture, the deep paths of export)\n"
    "  read this host's /proc/<pid> of the pid the engine reports. They are taken only when the\n"
    "  engine is on this host's unix socket and /proc/<pid>/cgroup names the container's full\n"
    "  id; otherwise each is listed as not collected with the reason (manifest not_collected)\n"
    "  and nothing of this host is saved: exit status 1.\n"
    "\n"
    "  One collection per container at a time: a lock /run/forensic/collect-<id>.lock is held\n"
    "  from before anything is written or paused until the bundle is sealed; a second\n"
    "  ir-collect of the same container stops at once, naming the holder's pid (exit 9).\n",
    "ARTIFACTS\n"
    "  inspect, image, processes, files, network, hunt, logs, diff, mounts, export, commit,\n"
    "  events, capture, memory\n"
    "  (all but capture and memory by default; capture is added by --capture, memory only\n"
    "  when named).\n\n"
    "EXAMPLES\n"
    "  ir-collect web --case IR-2041 --out /srv/evidence\n"
    "  ir-collect web --artifacts export --no-pause --archive tar.zst\n"
    "  ir-collect web --capture 60 --sign /etc/forensic/ed25519.pem --json\n"
    "  ir-collect web --artifacts processes,memory --memory-limit 2048\n"};

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
  options.add_options()("container", cli::po::value<std::string>()->required(),
                        "container id or name")(
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
      "mount-limit", cli::po::value<unsigned>()->default_value(1024)->value_name("MIB"),
      "file content copied per mount at most; files past it are left out and listed")(
      "memory-limit", cli::po::value<unsigned>()->default_value(4096)->value_name("MIB"),
      "process memory read into the memory artifact at most, all processes together")(
      "mount-copy-system", "also copy bind mounts of host system paths (/, /etc, /run, ...)")(
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
  if (vm.count("archive"))
    o.archive = evidence::parse_archive_format(vm["archive"].as<std::string>());
  if (vm.count("sign")) o.sign_key = vm["sign"].as<std::string>();
  o.mount_limit = static_cast<std::uint64_t>(vm["mount-limit"].as<unsigned>()) << 20;
  o.mount_copy_system = vm.count("mount-copy-system") > 0;
  o.memory_limit = static_cast<std::uint64_t>(vm["memory-limit"].as<unsigned>()) << 20;
  o.keep_commit_image = vm.count("keep-image") > 0;
  o.cancel_flag = cli::install_interrupt_flag();

  engine::client engine(cli::engine_options(vm));
  evidence::collector collector(engine, o);
  if (::isatty(STDERR_FILENO) == 1) collector.on_progress(print_progress);
  evidence::collect_result result;
  try {
    result = collector.run();
  } catch (const evidence::collection_locked& e) {
    std::cerr << "ir-collect: " << text::escape_for_terminal(e.what()) << "\n";
    return cli::exit_locked;
  }

  for (const auto& f : result.failures) {
    std::cerr << "ir-collect: " << f.artifact
              << " not collected: " << text::escape_for_terminal(f.message) << "\n";
  }
  for (const auto& n : result.not_collected) {
    std::cerr << "ir-collect: " << n.artifact
              << " not collected: " << text::escape_for_terminal(n.reason) << "\n";
  }
  if (vm.count("json")) {
    cli::print_json(std::cout, evidence::to_json(result));
  } else {
    std::cout << text::escape_for_terminal(result.bundle.string()) << "\n";
    if (result.archive)
      std::cout << text::escape_for_terminal(result.archive->path.string()) << "\n";
  }
  return result.complete() ? cli::exit_ok : cli::exit_negative;
}

}  // namespace

int main(int argc, char** argv) {
  return forensic::cli::run_tool(info, [&] { return run(argc, argv); });
}
