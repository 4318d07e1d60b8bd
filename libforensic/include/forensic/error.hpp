#pragma once
// The library's one exception type and its error codes.
//
// Every failure the library reports is a forensic::error: a std::system_error whose code is a
// forensic::errc. The message carries what was tried (endpoint, container, path, the C
// library's own text) so that printing what() alone tells a responder what to do. Tools map
// errc to documented exit codes at their boundary (see tools/cli/exit_codes.hpp).
#include <string>
#include <system_error>

namespace forensic {

enum class errc {
  engine_unreachable = 1,  // nothing answers at the endpoint (dockerd down, wrong socket)
  permission_denied,       // socket/file/netlink access refused (not root, not in docker group)
  not_found,               // container, image, interface, file does not exist (404)
  ambiguous,               // a reference matches several objects
  conflict,                // engine refused because of state (409: already paused, ...)
  invalid_argument,        // bad input from the user (address, option, filter)
  timeout,                 // connect or read took longer than allowed
  protocol,                // the peer spoke something we could not understand
  engine_error,            // the engine answered with another error status (500, 400, ...)
  parse,                   // a document (JSON, iptables-save, /proc table) did not parse
  io,                      // reading or writing a local file failed
  no_space,                // the disk (or the cap the user set) is full
  pcap,                    // libpcap refused (interface, filter, permissions)
  archive,                 // libarchive refused
  crypto,                  // OpenSSL refused
  netlink,                 // a netlink request failed
  cancelled,               // the user interrupted (SIGINT/SIGTERM)
  verification_failed,     // evidence did not match its recorded hashes
};

const std::error_category& forensic_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

// Short stable name of a code ("not_found"), used in JSON output and manifests.
const char* errc_name(errc e) noexcept;

class error : public std::system_error {
 public:
  error(errc code, const std::string& what)
      : std::system_error(make_error_code(code), what), message_(what) {}
  errc kind() const noexcept { return static_cast<errc>(code().value()); }
  // The message alone, without std::system_error's ": <category message>" suffix.
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

// Throws errc::io (or no_space / permission_denied, by errno) with "<what>: <strerror>".
[[noreturn]] void throw_errno(const std::string& what, int err);

}  // namespace forensic

template <>
struct std::is_error_code_enum<forensic::errc> : std::true_type {};
