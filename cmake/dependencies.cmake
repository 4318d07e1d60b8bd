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
find_package(OpenSSL 3 REQUIRED)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)
pkg_check_modules(ARCHIVE REQUIRED IMPORTED_TARGET libarchive)
pkg_check_modules(MNL REQUIRED IMPORTED_TARGET libmnl)
pkg_check_modules(NFCT REQUIRED IMPORTED_TARGET libnetfilter_conntrack)
pkg_check_modules(YARA REQUIRED IMPORTED_TARGET yara)
