// container_inventory: the smallest useful program on libforensic. It lists the containers of
// the local engine with their risk flags, and exits 0 even when no engine answers (it then
// prints why), so that it doubles as a link test of the installed package.
#include <forensic/engine/client.hpp>
#include <forensic/engine/containers.hpp>
#include <forensic/text/terminal.hpp>
#include <forensic/version.hpp>
#include <iostream>

int main() {
  using namespace forensic;
  std::cout << "libforensic " << version_string << "\n";
  try {
    engine::client engine;  // DOCKER_HOST & co., or the default unix socket
    for (const auto& c : engine::list_containers(engine, {.all = true})) {
      std::cout << c.short_id() << "  " << text::escape_for_terminal(c.name()) << "  " << c.state;
      for (const auto& flag : c.risk_flags()) std::cout << "  " << flag;
      std::cout << "\n";
    }
  } catch (const forensic::error& e) {
    std::cout << "no inventory: " << e.what() << " (" << errc_name(e.kind()) << ")\n";
  }
  return 0;
}
