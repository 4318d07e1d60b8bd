// /proc/<pid>/net/{tcp,tcp6,udp,udp6,raw,raw6}: the first byte picks the table the rest is read
// as. Never throws; malformed rows are only counted.
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "forensic/net/sockets.hpp"
#include "fuzz_common.hpp"
#include "net/socket_census.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static constexpr const char* protocols[] = {"tcp", "udp", "raw"};
  const char* protocol = protocols[data[0] % 3];
  const int family = (data[0] / 3) % 2 ? AF_INET6 : AF_INET;
  std::size_t skipped = 0;
  const auto rows = forensic::net::parse_proc_net(forensic::fuzz::as_text(data + 1, size - 1),
                                                  protocol, family, &skipped);
  for (const auto& r : rows) (void)forensic::fuzz::dump(forensic::net::to_json(r));
  // The same bytes as a namespace's counters (sockstat, snmp): what decides which tables are read.
  const auto text = forensic::fuzz::as_text(data + 1, size - 1);
  (void)forensic::net::detail::parse_sockstat(text, text);
  (void)forensic::net::detail::parse_snmp_tcp(text);
  return 0;
}
