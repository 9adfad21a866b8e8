# Installs the headers and a package config, so that users write
#   find_package(eventhistory CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE eh::eh)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# eh::config, and with EH_BUILD_APPS eh::nats, eh::redis, eh::grpc and eh::proto (the
# generated ocis proto library and its headers), join the export set where they are defined.
install(DIRECTORY include/eh DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS eh EXPORT eventhistoryTargets)
set(EH_PACKAGE_HAS_IO ${EH_BUILD_APPS}) # read by eventhistoryConfig.cmake.in
configure_package_config_file(cmake/eventhistoryConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/eventhistoryConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/eventhistory)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/eventhistoryConfigVersion.cmake
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(EXPORT eventhistoryTargets NAMESPACE eh:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/eventhistory)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/eventhistoryConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/eventhistoryConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/eventhistory)
