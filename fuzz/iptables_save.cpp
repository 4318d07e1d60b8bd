// iptables-save / ip6tables-save text, as the host's (possibly tampered) tools print it: parsed
// (never throws), read for Docker's rules, and printed as the bundle holds it.
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "forensic/net/iptables.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = forensic::fuzz::as_text(data, size);
  for (int family : {AF_INET, AF_INET6}) {
    const auto rules = forensic::net::parse_iptables_save(text, family);
    for (const auto& r : rules.rules) (void)forensic::fuzz::dump(forensic::net::to_json(r));
    (void)forensic::fuzz::dump(forensic::net::to_json(forensic::net::docker_view(rules)));
  }
  return 0;
}
