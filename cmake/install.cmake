include(CMakePackageConfigHelpers)
set(FORENSIC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/forensic)

install(TARGETS forensic EXPORT forensicTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY libforensic/include/forensic DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/generated/forensic/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/forensic)
install(EXPORT forensicTargets NAMESPACE forensic:: DESTINATION ${FORENSIC_CMAKE_DIR})

configure_package_config_file(cmake/forensicConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/forensicConfig.cmake
                              INSTALL_DESTINATION ${FORENSIC_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/forensicConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/forensicConfig.cmake
              ${PROJECT_BINARY_DIR}/forensicConfigVersion.cmake
        DESTINATION ${FORENSIC_CMAKE_DIR})

configure_file(cmake/forensic.pc.in ${PROJECT_BINARY_DIR}/forensic.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/forensic.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
