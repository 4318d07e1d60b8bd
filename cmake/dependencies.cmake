# Every dependency comes from a Debian 12 package; see tests/testbed/install-deps.sh.
# Boost: Beast/Asio (header-only) for the library, program_options for the tools only.
if(FORENSIC_BUILD_TOOLS)
  # The tools carry their option parser, as they carry the C++ runtime (tools/CMakeLists.txt).
  set(Boost_USE_STATIC_LIBS ON)
  find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
else()
  find_package(Boost 1.74 REQUIRED)
endif()
find_package(nlohmann_json 3.10 REQUIRED)
# The tools carry OpenSSL, as they carry the C++ runtime (tools/CMakeLists.txt): loading libssl
# and libcrypto and resolving their symbols is ~3 ms of every run on a 2-core VM (ir-ps
# --version, median of 40: 15 -> 12 ms wall), and a host under investigation does not supply
# the TLS code that talks to its engine. Sanitizer and fuzz builds keep the shared ones, as do
# programs built on the installed library (forensicConfig.cmake finds theirs).
if(FORENSIC_BUILD_TOOLS AND NOT FORENSIC_SANITIZE AND NOT FORENSIC_FUZZ)
  set(OPENSSL_USE_STATIC_LIBS TRUE)
endif()
find_package(OpenSSL 3 REQUIRED)
if(OPENSSL_USE_STATIC_LIBS)
  # Our copy is not exported: a shared library that brings its own libcrypto (libyara) keeps
  # binding to that one, not half to ours.
  set_property(TARGET OpenSSL::Crypto APPEND PROPERTY INTERFACE_LINK_OPTIONS
               "LINKER:--exclude-libs,libcrypto.a:libssl.a")
endif()
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)
pkg_check_modules(ARCHIVE REQUIRED IMPORTED_TARGET libarchive)
pkg_check_modules(MNL REQUIRED IMPORTED_TARGET libmnl)
pkg_check_modules(NFCT REQUIRED IMPORTED_TARGET libnetfilter_conntrack)
pkg_check_modules(YARA REQUIRED IMPORTED_TARGET yara)
