# Dependencies, all from Debian packages (scripts/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED CONFIG COMPONENTS headers)
find_package(range-v3 REQUIRED CONFIG)
find_package(simdjson REQUIRED CONFIG)
find_package(spdlog REQUIRED CONFIG)
find_package(CLI11 REQUIRED CONFIG)
find_package(yaml-cpp REQUIRED CONFIG)

if(EH_BUILD_APPS)
  find_package(PkgConfig REQUIRED)
  # Debian's cnats CMake config names a static library the package lacks: use pkg-config.
  pkg_check_modules(NATS REQUIRED IMPORTED_TARGET libnats)
  # hiredis ships no imported target.
  pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
  find_package(Protobuf REQUIRED)
  find_package(gRPC REQUIRED CONFIG)
  # The gRPC adapter makes its temporary self-signed certificate with libcrypto.
  find_package(OpenSSL REQUIRED)
endif()

if(EH_BUILD_TESTS)
  find_package(doctest REQUIRED CONFIG)
endif()
