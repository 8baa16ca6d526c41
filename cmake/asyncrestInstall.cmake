# Install rules: the headers, the exported target asyncrest::asyncrest, asyncrestConfig.cmake,
# a version file and the Asio finder. Included by the top-level CMakeLists.txt when
# ASYNCREST_INSTALL is ON.
#
# An installed package must find its dependencies again on the user's machine. Asio (headers)
# is found by asyncrestAsio.cmake, simdjson and an installed llhttp by their CMake packages; an
# llhttp built here from sources is installed with asyncrest as asyncrest::llhttp. A dependency
# that was downloaded, or came from a parent project's target, has nothing to be found by, so
# installing then stops with what to do instead of writing a package that cannot work.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(ASYNCREST_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/asyncrest"
    CACHE STRING "Where asyncrestConfig.cmake is installed, relative to the prefix")

get_property(asyncrest_asio_origin GLOBAL PROPERTY ASYNCREST_ASIO_ORIGIN)
get_property(asyncrest_llhttp_origin GLOBAL PROPERTY ASYNCREST_LLHTTP_ORIGIN)
get_property(asyncrest_llhttp_imported_target GLOBAL PROPERTY ASYNCREST_LLHTTP_IMPORTED_TARGET)
get_property(asyncrest_simdjson_origin GLOBAL PROPERTY ASYNCREST_SIMDJSON_ORIGIN)

set(asyncrest_not_installable "")
if(NOT asyncrest_asio_origin STREQUAL "installed")
  list(APPEND asyncrest_not_installable "Asio (install libasio-dev, or pass -DASYNCREST_ASIO_INCLUDE_DIR)")
endif()
if(NOT asyncrest_llhttp_origin MATCHES "^(installed|sources)$")
  list(APPEND asyncrest_not_installable "llhttp (install node-llhttp or an llhttp CMake package)")
endif()
if(NOT asyncrest_simdjson_origin STREQUAL "installed")
  list(APPEND asyncrest_not_installable "simdjson (install libsimdjson-dev or a simdjson CMake package)")
endif()

# Installing comes first, so a package that cannot work is never half written.
if(asyncrest_not_installable)
  list(JOIN asyncrest_not_installable "; " asyncrest_reasons)
  message(STATUS "asyncrest: `cmake --install` is disabled: these dependencies were downloaded or come from "
                 "a parent project, so an installed asyncrest could not find them: ${asyncrest_reasons}")
  install(CODE "message(FATAL_ERROR \"asyncrest cannot be installed from this build: an installed package \
would not find these dependencies, which were downloaded or come from a parent project: ${asyncrest_reasons}. \
Install them, reconfigure with -DASYNCREST_FETCH_DEPS=OFF, and install again; or use asyncrest through \
FetchContent or add_subdirectory, which need no install.\")")
  return()
endif()

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/asyncrest" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

set(asyncrest_installed_targets asyncrest asyncrest_asio asyncrest_compiled)
if(TARGET asyncrest_tls)
  set_target_properties(asyncrest_tls PROPERTIES EXPORT_NAME tls)
  list(APPEND asyncrest_installed_targets asyncrest_tls)
  set(ASYNCREST_CONFIG_WITH_TLS ON)
else()
  set(ASYNCREST_CONFIG_WITH_TLS OFF)
endif()
if(TARGET asyncrest_zlib)
  set_target_properties(asyncrest_zlib PROPERTIES EXPORT_NAME zlib)
  list(APPEND asyncrest_installed_targets asyncrest_zlib)
  set(ASYNCREST_CONFIG_WITH_ZLIB ON)
else()
  set(ASYNCREST_CONFIG_WITH_ZLIB OFF)
endif()
# brotli's target is not exported (pkg-config's imported target cannot be): asyncrestConfig.cmake
# makes asyncrest::brotli again from the installed brotli.
if(TARGET asyncrest_brotli)
  set(ASYNCREST_CONFIG_WITH_BROTLI ON)
else()
  set(ASYNCREST_CONFIG_WITH_BROTLI OFF)
endif()
if(asyncrest_llhttp_origin STREQUAL "sources")
  list(APPEND asyncrest_installed_targets asyncrest_llhttp)
endif()
install(TARGETS ${asyncrest_installed_targets}
        EXPORT asyncrestTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        PUBLIC_HEADER DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/asyncrest-llhttp")
install(EXPORT asyncrestTargets NAMESPACE asyncrest:: DESTINATION "${ASYNCREST_INSTALL_CMAKEDIR}")

set(ASYNCREST_CONFIG_LLHTTP_ORIGIN "${asyncrest_llhttp_origin}")
set(ASYNCREST_CONFIG_LLHTTP_IMPORTED_TARGET "${asyncrest_llhttp_imported_target}")
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/asyncrestConfig.cmake.in"
                              "${PROJECT_BINARY_DIR}/asyncrestConfig.cmake"
                              INSTALL_DESTINATION "${ASYNCREST_INSTALL_CMAKEDIR}")
# Before 1.0 a minor release may change the API, hence SameMinorVersion.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/asyncrestConfigVersion.cmake"
                                 COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES "${PROJECT_BINARY_DIR}/asyncrestConfig.cmake" "${PROJECT_BINARY_DIR}/asyncrestConfigVersion.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/asyncrestAsio.cmake"
        DESTINATION "${ASYNCREST_INSTALL_CMAKEDIR}")
install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/asyncrest")
