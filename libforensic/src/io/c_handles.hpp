#pragma once
// The one set of owners for the C handles the library holds. Each deleter only frees: a close
// that can fail and lose data (archive_write_close, pcap_dump_flush, fclose after writing) is
// called explicitly where its error is reported; the destructor is the silent fallback.
// Private: including this pulls in libpcap, libarchive, OpenSSL and the netfilter headers.
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <openssl/evp.h>
#include <pcap/pcap.h>
#include <sys/mman.h>

#include <cstddef>
#include <cstdio>
#include <memory>
#include <utility>

namespace forensic::io {

template <auto Fn>
struct c_deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    if (p) Fn(p);
  }
};

using pcap_ptr = std::unique_ptr<pcap_t, c_deleter<&pcap_close>>;
using archive_reader = std::unique_ptr<archive, c_deleter<&archive_read_free>>;
using archive_writer = std::unique_ptr<archive, c_deleter<&archive_write_free>>;
using archive_entry_ptr = std::unique_ptr<archive_entry, c_deleter<&archive_entry_free>>;
using evp_md_ctx = std::unique_ptr<EVP_MD_CTX, c_deleter<&EVP_MD_CTX_free>>;
using evp_md = std::unique_ptr<EVP_MD, c_deleter<&EVP_MD_free>>;
using evp_pkey = std::unique_ptr<EVP_PKEY, c_deleter<&EVP_PKEY_free>>;
using c_file = std::unique_ptr<FILE, c_deleter<&std::fclose>>;
using c_dir = std::unique_ptr<DIR, c_deleter<&closedir>>;
using nfct_ptr = std::unique_ptr<nfct_handle, c_deleter<&nfct_close>>;
using mnl_socket_ptr = std::unique_ptr<mnl_socket, c_deleter<&mnl_socket_close>>;

// A memory mapping (a packet socket's ring): unmapped when the owner goes.
class mapped_region {
 public:
  mapped_region() noexcept = default;
  mapped_region(void* at, std::size_t size) noexcept : at_(at), size_(size) {}
  mapped_region(mapped_region&& o) noexcept
      : at_(std::exchange(o.at_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  mapped_region& operator=(mapped_region&& o) noexcept {
    if (this != &o) {
      reset();
      at_ = std::exchange(o.at_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  mapped_region(const mapped_region&) = delete;
  mapped_region& operator=(const mapped_region&) = delete;
  ~mapped_region() { reset(); }

  std::byte* data() const noexcept { return static_cast<std::byte*>(at_); }
  std::size_t size() const noexcept { return size_; }
  void reset() noexcept {
    if (at_) ::munmap(at_, size_);
    at_ = nullptr;
    size_ = 0;
  }

 private:
  void* at_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace forensic::io
