#include "forensic/error.hpp"

#include <cerrno>
#include <cstring>

namespace forensic {
namespace {

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "forensic"; }
  std::string message(int value) const override { return errc_name(static_cast<errc>(value)); }
};

}  // namespace

const std::error_category& forensic_category() noexcept {
  static const category_impl instance;
  return instance;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), forensic_category()};
}

const char* errc_name(errc e) noexcept {
  switch (e) {
    case errc::engine_unreachable:
      return "engine_unreachable";
    case errc::permission_denied:
      return "permission_denied";
    case errc::not_found:
      return "not_found";
    case errc::ambiguous:
      return "ambiguous";
    case errc::conflict:
      return "conflict";
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::timeout:
      return "timeout";
    case errc::protocol:
      return "protocol";
    case errc::engine_error:
      return "engine_error";
    case errc::parse:
      return "parse";
    case errc::io:
      return "io";
    case errc::no_space:
      return "no_space";
    case errc::pcap:
      return "pcap";
    case errc::archive:
      return "archive";
    case errc::crypto:
      return "crypto";
    case errc::netlink:
      return "netlink";
    case errc::cancelled:
      return "cancelled";
    case errc::verification_failed:
      return "verification_failed";
  }
  return "unknown";
}

void throw_errno(const std::string& what, int err) {
  errc code = errc::io;
  if (err == ENOSPC || err == EDQUOT) code = errc::no_space;
  if (err == EACCES || err == EPERM || err == EROFS) code = errc::permission_denied;
  if (err == ENOENT) code = errc::not_found;
  throw error(code, what + ": " + std::strerror(err));
}

}  // namespace forensic
