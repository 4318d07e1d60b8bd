#include "cli/exit_codes.hpp"

namespace forensic::cli {

int exit_code_for(errc code) noexcept {
  switch (code) {
    case errc::invalid_argument:
      return exit_usage;
    case errc::engine_unreachable:
    case errc::timeout:
      return exit_engine_unreachable;
    case errc::permission_denied:
      return exit_permission_denied;
    case errc::not_found:
    case errc::ambiguous:
      return exit_not_found;
    case errc::io:
    case errc::no_space:
    case errc::archive:
      return exit_io;
    case errc::conflict:
    case errc::engine_error:
    case errc::protocol:
    case errc::parse:
    case errc::crypto:
      return exit_engine_error;
    case errc::pcap:
    case errc::netlink:
      return exit_capture;
    case errc::cancelled:
      return exit_interrupted;
    case errc::verification_failed:
      return exit_negative;
  }
  return exit_internal;
}

const char* exit_codes_help() noexcept {
  return "EXIT STATUS\n"
         "  0    success\n"
         "  1    negative answer (nothing located, verification failed)\n"
         "  2    usage error or invalid argument\n"
         "  3    engine unreachable or timed out, or TLS with it failed (a missing\n"
         "       certificate file, certificate verify failed, a TLS port asked in plain HTTP)\n"
         "  4    permission denied (run as root or in the docker group)\n"
         "  5    container, network or interface not found, or ambiguous\n"
         "  6    local I/O error or disk full\n"
         "  7    the engine refused or answered unexpectedly\n"
         "  8    capture or netlink error\n"
         "  9    ir-collect: another collection of the same container is running (the line\n"
         "       names its pid)\n"
         "  10   internal error (a bug)\n"
         "  11   ir-isolate: a network quarantine the firewall cannot see was refused\n"
         "       (--no-fallback)\n"
         "  12   ir-isolate: the container is already quarantined under another case\n"
         "  130  interrupted; nothing was marked complete\n";
}

}  // namespace forensic::cli
