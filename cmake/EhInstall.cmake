# Installs the headers and a package config, so that users write
#   find_package(eventhistory CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE eh::eh)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(DIRECTORY include/eh DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS eh EXPORT eventhistoryTargets)
install(EXPORT eventhistoryTargets NAMESPACE eh:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/eventhistory)
configure_package_config_file(cmake/eventhistoryConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/eventhistoryConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/eventhistory)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/eventhistoryConfigVersion.cmake
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/eventhistoryConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/eventhistoryConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/eventhistory)
