// ir-verify: re-hashes an evidence bundle (directory or archive) against its own SHA256SUMS
// and manifest, and checks the manifest signature.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/table.hpp"
#include "cli/tool.hpp"
#include "forensic/error.hpp"
#include "forensic/evidence/fleet.hpp"
#include "forensic/evidence/verify.hpp"
#include "forensic/text/terminal.hpp"

namespace {

using namespace forensic;

const cli::tool_info info{
    "ir-verify",
    "ir-verify BUNDLE [--pubkey KEY] [--json]\n"
    "       ir-verify --fleet DIR --address ADDR --host NAME... [--json]",
    "  Checks a bundle written by ir-collect, as a directory or as the archive made by\n"
    "  --archive (tar or tar.zst, and its detached .sha256 when it lies beside it): every file\n"
    "  is re-hashed and compared with SHA256SUMS and manifest.json. Files listed but absent are\n"
    "  MISSING, present but unlisted EXTRA, with another digest MODIFIED. A .partial directory\n"
    "  (an interrupted collection) never verifies. With --pubkey, manifest.json.sig must be a\n"
    "  valid Ed25519 signature of manifest.json under that key; the key is named by the SHA-256\n"
    "  of its raw public key, and must be the one the manifest names when it names one. Exit\n"
    "  status 0 only when all hold.\n"
    "  Artifacts the manifest records as not collected are listed (NOT COLLECTED): they do not\n"
    "  fail the check, which is about the integrity of what the bundle holds.\n"
    "  A directory with neither SHA256SUMS nor manifest.json is not a bundle: one line says\n"
    "  so at once (nothing is hashed) and the exit status is 1.\n"
    "\n"
    "  --fleet DIR ends a fleet run (playbooks/fleet/site.yml) on its control node: for each\n"
    "  --host, the facts the playbook recorded in DIR/<host>/host.json are read, each fetched\n"
    "  archive DIR/<host>/<name> is hashed here and compared with its SHA-256 on the host before\n"
    "  the copy, and verified as above. DIR/fleet.json (forensic.fleet/1, docs/formats.md) is\n"
    "  written atomically and a table printed (--json: the document). Exit status 0 only when\n"
    "  every host was reached and every archive arrived intact and verified.\n",
    "EXAMPLES\n"
    "  ir-verify /srv/evidence/IR-2041-web-20261123T090000Z\n"
    "  ir-verify IR-2041-web-20261123T090000Z.tar.zst --pubkey ed25519.pub.pem\n"};

void print(const evidence::verify_report& r) {
  if (r.not_a_bundle) {
    std::cout << "FAILED " << text::escape_for_terminal(r.bundle)
              << ": not an evidence bundle (neither SHA256SUMS nor manifest.json in it); "
                 "nothing was hashed\n";
    return;
  }
  auto list = [](const char* label, const std::vector<std::string>& items) {
    for (const auto& i : items) std::cout << label << " " << text::escape_for_terminal(i) << "\n";
  };
  list("MISSING ", r.missing);
  list("EXTRA   ", r.extra);
  list("MODIFIED", r.modified);
  list("PROBLEM ", r.problems);
  list("NOT COLLECTED", r.not_collected);
  const std::string named =
      r.manifest_key_sha256.empty()
          ? ""
          : "; the manifest names key sha256 " + text::escape_for_terminal(r.manifest_key_sha256);
  if (r.signature_checked) {
    std::cout << "signature: " << (r.signature_valid ? "valid" : "INVALID") << " under key sha256 "
              << r.signature_key_sha256 << named << "\n";
  } else if (r.signature_present) {
    std::cout << "signature: present, not checked (give --pubkey)" << named << "\n";
  }
  std::cout << (r.ok() ? "OK " : "FAILED ") << text::escape_for_terminal(r.bundle) << ": "
            << r.files_checked << " files checked";
  if (!r.not_collected.empty()) {
    std::cout << "; " << r.not_collected.size() << " artifact(s) recorded as not collected";
  }
  std::cout << "\n";
}

int run_fleet(const cli::po::variables_map& vm) {
  if (!vm.count("address") || !vm.count("host")) {
    throw error(errc::invalid_argument, "--fleet needs --address and at least one --host");
  }
  const std::filesystem::path dir = vm["fleet"].as<std::string>();
  const auto report = evidence::assemble_fleet(dir, vm["host"].as<std::vector<std::string>>(),
                                               vm["address"].as<std::string>());
  const auto doc = evidence::to_json(report);
  const std::string text = doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  cli::write_file_atomically((dir / "fleet.json").string(), text);
  bool all_good = true;
  cli::table t({"HOST", "REACHED", "FOUND", "CONTAINERS", "BUNDLE", "VERIFIED", "NOTE"}, 60);
  for (const auto& h : report.hosts) {
    std::string containers;
    for (const auto& c : h.containers)
      containers += (containers.empty() ? "" : ",") + c.substr(0, 12);
    if (containers.empty()) containers = "-";
    all_good = all_good && h.reached && h.error.empty();
    const std::string note = h.error.empty() ? "-" : h.error;
    if (h.bundles.empty()) {
      t.add_row(
          {h.name, h.reached ? "yes" : "no", h.found ? "yes" : "no", containers, "-", "-", note});
    }
    for (const auto& b : h.bundles) {
      all_good = all_good && b.verified;
      const std::string verified = b.verified           ? "yes"
                                   : !b.transfer_intact ? "NO (copy differs)"
                                                        : "NO";
      t.add_row({h.name, "yes", h.found ? "yes" : "no", containers, b.path.filename().string(),
                 verified, b.verified ? note : b.verify_output});
    }
  }
  if (vm.count("json")) {
    std::cout << text;
  } else {
    t.print(std::cout);
    std::cout << "fleet: " << (dir / "fleet.json").string() << "\n";
  }
  return all_good ? cli::exit_ok : cli::exit_negative;
}

int run(int argc, char** argv) {
  cli::po::options_description options("OPTIONS");
  options.add_options()("bundle", cli::po::value<std::string>(), "bundle directory or archive")(
      "fleet", cli::po::value<std::string>()->value_name("DIR"),
      "end a fleet run: hash and verify the archives fetched under DIR, write DIR/fleet.json")(
      "address", cli::po::value<std::string>()->value_name("ADDR"),
      "with --fleet: the address the fleet run looked for")(
      "host", cli::po::value<std::vector<std::string>>()->value_name("NAME"),
      "with --fleet: an inventory name (repeatable)")(
      "pubkey", cli::po::value<std::string>()->value_name("KEY"),
      "Ed25519 public key (PEM) the manifest signature must verify under")(
      "json", "print the report as JSON");
  cli::po::positional_options_description positional;
  positional.add("bundle", 1);
  cli::po::variables_map vm;
  if (!cli::parse_command_line(argc, argv, info, options, vm, &positional)) return cli::exit_ok;
  if (vm.count("fleet")) {
    if (vm.count("bundle")) throw error(errc::invalid_argument, "--fleet takes no BUNDLE");
    return run_fleet(vm);
  }
  if (!vm.count("bundle")) throw error(errc::invalid_argument, "give a BUNDLE to verify");
  evidence::verify_options o;
  if (vm.count("pubkey")) o.public_key = vm["pubkey"].as<std::string>();
  const auto report = evidence::verify_bundle(vm["bundle"].as<std::string>(), o);
  if (vm.count("json")) {
    cli::print_json(std::cout, evidence::to_json(report));
  } else {
    print(report);
  }
  return report.ok() ? cli::exit_ok : cli::exit_negative;
}

}  // namespace

int main(int argc, char** argv) {
  return forensic::cli::run_tool(info, [&] { return run(argc, argv); });
}
