#pragma once
// The result of a fleet run (playbooks/fleet/site.yml) on its control node: per host whether it
// was reached, what ir-locate answered there, the containers found, and each evidence archive
// fetched from it, hashed here and verified here (`forensic.fleet/1`, docs/formats.md).
//
// The playbook records per host only what it saw happen there, in DIR/<host>/host.json:
//   {"reached", "error", "locate" (ir-locate --json of that host), "contained", "playbook_rc",
//    "archives": [{"host_path", "sha256_on_host"}]}
// and fetches each archive to DIR/<host>/<its file name>. Everything judged is judged here: the
// containers are taken from the locate answer (64-hex ids only), each copy is hashed and compared
// with the host's digest, and verified with verify_bundle.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "forensic/evidence/verify.hpp"

namespace forensic::evidence {

struct fleet_bundle {
  std::string host_path;       // where the archive was on the host
  std::filesystem::path path;  // its copy on this control node
  std::string sha256_on_host;  // recorded on the host before the copy
  std::string sha256_here;     // of the copy; "" when there is no copy
  bool transfer_intact = false;
  bool verified = false;                      // intact, and verify_bundle passed on the copy
  std::string verify_output;                  // one line: "OK ...: N files checked", or what failed
  std::optional<verify_report> verification;  // absent when there was nothing to verify
};

struct fleet_host {
  std::string name;  // the inventory name
  bool reached = false;
  std::string error;  // why the host has no (complete) result; "" when none
  bool found = false;
  nlohmann::json locate;                // ir-locate --json there; null when it did not run
  std::vector<std::string> containers;  // 64-hex ids named by `locate`
  bool contained = false;
  std::optional<int> playbook_rc;
  std::vector<fleet_bundle> bundles;
};

struct fleet_report {
  std::string address;
  std::vector<fleet_host> hosts;  // in the order given
};

// Reads DIR/<host>/host.json for every host (a host without one: not reached, "no result: the
// play stopped before it"), hashes and verifies each fetched copy. A host name or archive name
// that could leave DIR (a '/', "..", a link) is refused for that host, never followed. Throws
// forensic::error only when DIR cannot be read.
fleet_report assemble_fleet(const std::filesystem::path& dir, const std::vector<std::string>& hosts,
                            const std::string& address);

// `forensic.fleet/1`: {"schema", "address", "hosts": {name: {...}}} (docs/formats.md).
nlohmann::json to_json(const fleet_report& r);

}  // namespace forensic::evidence
