// The hunt artifact: the kernel-against-engine reconciliation (hunt.hpp), the part about the
// collected container, as hunt/hunt.json.
#include <nlohmann/json.hpp>

#include "evidence/attribution.hpp"
#include "evidence/collection.hpp"
#include "forensic/hunt/hunt.hpp"
#include "forensic/io/time.hpp"

namespace forensic::evidence::detail {

void collect_hunt(collection& c) {
  // Host-side: this host's /proc and netlink are only the container's kernel when the engine is
  // on this host's socket and the pid it reports is proven the container's.
  if (!host_side_allowed(c, "hunt")) return;
  const std::string started = io::rfc3339_now();
  const auto report = hunt::about_container(hunt::hunt_host(c.engine), c.target.id);
  const std::string text =
      hunt::to_json(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  c.add_artifact("hunt", c.bundle->write_file("hunt/hunt.json", text), started,
                 "this host's /proc (every process's namespaces and cgroup), netlink inside each "
                 "network namespace, /run/netns and /var/run/docker/netns, and the engine's "
                 "container list");
}

}  // namespace forensic::evidence::detail
