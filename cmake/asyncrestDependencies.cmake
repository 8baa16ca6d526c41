# Resolves asyncrest's third-party dependencies into fixed target names:
#
#   asyncrest::asio      standalone Asio (header-only)
#   llhttp::llhttp       llhttp HTTP/1.x parser
#   asyncrest::simdjson  simdjson
#   asyncrest::doctest   doctest, only when ASYNCREST_NEED_DOCTEST is true
#   asyncrest::tls       opt-in HTTPS for the client: OpenSSL, only when it is found
#   asyncrest::zlib      opt-in compression (WebSocket permessage-deflate, HTTP gzip): zlib, only when it is found
#   asyncrest::brotli    opt-in HTTP compression with br: brotli, when it is found (or fetched)
#
# Each dependency is looked for in this order: an installed CMake package or
# header, Debian's packaged sources, then a pinned, hash-checked upstream release
# (only when ASYNCREST_FETCH_DEPS is ON). A target that already exists, e.g.
# defined by a parent project that add_subdirectory()s asyncrest, is kept as is.
# Where each one came from is kept in the global properties ASYNCREST_ASIO_ORIGIN,
# ASYNCREST_LLHTTP_ORIGIN and ASYNCREST_SIMDJSON_ORIGIN (installed, sources, fetched or
# target), which decide how an install of asyncrest finds them again.
# All work happens inside functions so no helper variable leaks to the includer.

include(FetchContent)
include(${CMAKE_CURRENT_LIST_DIR}/asyncrestAsio.cmake)

# No-ops when the top level already declared them.
option(ASYNCREST_FETCH_DEPS "Allow FetchContent of pinned upstream releases" ON)
option(ASYNCREST_FORCE_FETCH
       "Ignore installed and Debian copies and fetch every dependency (for testing the fetch path)" OFF)

if(ASYNCREST_FORCE_FETCH AND NOT ASYNCREST_FETCH_DEPS)
  message(FATAL_ERROR
    "asyncrest: ASYNCREST_FORCE_FETCH=ON needs ASYNCREST_FETCH_DEPS=ON.")
endif()

# Pinned upstream releases, used only when no local copy is found.
# Asio 1.30.2
set(ASYNCREST_ASIO_PIN_VERSION 1.30.2)
set(ASYNCREST_ASIO_PIN_URL
    "https://github.com/chriskohlhoff/asio/archive/refs/tags/asio-1-30-2.tar.gz")
set(ASYNCREST_ASIO_PIN_SHA256
    755bd7f85a4b269c67ae0ea254907c078d408cce8e1a352ad2ed664d233780e8)
# llhttp 9.2.1 (release branch tarball: ships the generated C sources)
set(ASYNCREST_LLHTTP_PIN_VERSION 9.2.1)
set(ASYNCREST_LLHTTP_PIN_URL
    "https://github.com/nodejs/llhttp/archive/refs/tags/release/v9.2.1.tar.gz")
set(ASYNCREST_LLHTTP_PIN_SHA256
    3c163891446e529604b590f9ad097b2e98b5ef7e4d3ddcf1cf98b62ca668f23e)
# simdjson 3.12.2
set(ASYNCREST_SIMDJSON_PIN_VERSION 3.12.2)
set(ASYNCREST_SIMDJSON_PIN_URL
    "https://github.com/simdjson/simdjson/archive/refs/tags/v3.12.2.tar.gz")
set(ASYNCREST_SIMDJSON_PIN_SHA256
    8ac7c97073d5079f54ad66d04381ec75e1169c2e20bfe9b6500bc81304da3faf)
# brotli 1.1.0 (only for asyncrest::brotli, which is optional)
set(ASYNCREST_BROTLI_PIN_VERSION 1.1.0)
set(ASYNCREST_BROTLI_PIN_URL
    "https://github.com/google/brotli/archive/refs/tags/v1.1.0.tar.gz")
set(ASYNCREST_BROTLI_PIN_SHA256
    e720a6ca29428b803f4ad165371771f5398faba397edf6778837a18599ea13ff)
# doctest 2.4.11
set(ASYNCREST_DOCTEST_PIN_VERSION 2.4.11)
set(ASYNCREST_DOCTEST_PIN_URL
    "https://github.com/doctest/doctest/archive/refs/tags/v2.4.11.tar.gz")
set(ASYNCREST_DOCTEST_PIN_SHA256
    632ed2c05a7f53fa961381497bf8069093f0d6628c5f26286161fbd32a560186)

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

function(_asyncrest_report name version origin where)
  if(version)
    message(STATUS "asyncrest: ${name} ${version} from ${origin} (${where})")
  else()
    message(STATUS "asyncrest: ${name} from ${origin} (${where})")
  endif()
endfunction()

# Fails with what to install; `how_local` lists the non-fetch ways out.
function(_asyncrest_not_found name how_local pin_version detail)
  string(CONCAT msg "asyncrest: ${name} not found. ${how_local}; or configure with "
                    "-DASYNCREST_FETCH_DEPS=ON to download ${name} ${pin_version}")
  if(detail)
    string(APPEND msg "\n  (${detail})")
  endif()
  message(FATAL_ERROR "${msg}")
endfunction()

# Announced before downloading: FetchContent aborts configure itself on a
# failed download, so this is the only place to say what to do instead.
function(_asyncrest_announce_fetch name version url how_local)
  message(STATUS "asyncrest: fetching ${name} ${version} from ${url} "
                 "(if the download fails: ${how_local}, then reconfigure)")
endfunction()

# Common FetchContent_Declare arguments. SOURCE_SUBDIR points at a directory
# that does not exist so MakeAvailable only unpacks: we build our own targets
# and never run the upstream CMakeLists.txt (doctest's needs CMake < 3.5).
function(_asyncrest_declare_sources content url sha256)
  FetchContent_Declare(${content}
    URL "${url}"
    URL_HASH SHA256=${sha256}
    DOWNLOAD_EXTRACT_TIMESTAMP TRUE
    SOURCE_SUBDIR _asyncrest_no_cmake)
endfunction()

# Reads "<prefix>_MAJOR/_MINOR/_PATCH" defines (LLHTTP_VERSION, DOCTEST_VERSION) from a header.
function(_asyncrest_header_version header prefix out)
  set(parts "")
  if(EXISTS "${header}")
    foreach(part MAJOR MINOR PATCH)
      file(STRINGS "${header}" line REGEX "^#[ \t]*define[ \t]+${prefix}_${part}[ \t]+[0-9]+")
      if(line MATCHES "${prefix}_${part}[ \t]+([0-9]+)")
        list(APPEND parts "${CMAKE_MATCH_1}")
      endif()
    endforeach()
  endif()
  list(LENGTH parts n)
  if(n EQUAL 3)
    list(JOIN parts "." version)
  else()
    set(version "")
  endif()
  set(${out} "${version}" PARENT_SCOPE)
endfunction()

# ---------------------------------------------------------------------------
# asyncrest::asio
# ---------------------------------------------------------------------------

function(_asyncrest_resolve_asio)
  if(TARGET asyncrest::asio)
    message(STATUS "asyncrest: Asio from existing target asyncrest::asio")
    set_property(GLOBAL PROPERTY ASYNCREST_ASIO_ORIGIN target)
    return()
  endif()

  string(CONCAT how_local "On Debian/Ubuntu: apt-get install libasio-dev; "
                       "or pass -DASYNCREST_ASIO_INCLUDE_DIR=<dir containing asio.hpp>")
  set(include_dir "")

  # 1. Installed headers (Asio ships no CMake package). Debian: libasio-dev.
  if(NOT ASYNCREST_FORCE_FETCH)
    asyncrest_find_asio_headers(include_dir version)
    if(include_dir)
      set(origin "installed headers")
      set(where "${include_dir}")
      set_property(GLOBAL PROPERTY ASYNCREST_ASIO_ORIGIN installed)
    endif()
  endif()

  # 2. Debian packages Asio as headers only, so step 1 already covers it.

  # 3. Pinned release. The GitHub archive nests the library under asio/.
  if(NOT include_dir)
    set(detail "")
    if(ASYNCREST_ASIO_INCLUDE_DIR AND NOT ASYNCREST_FORCE_FETCH)
      # Only a user-given (or stale cached) path can lack the header.
      set(detail "ASYNCREST_ASIO_INCLUDE_DIR=${ASYNCREST_ASIO_INCLUDE_DIR} has no asio/version.hpp")
    endif()
    if(NOT ASYNCREST_FETCH_DEPS)
      _asyncrest_not_found(Asio "${how_local}" ${ASYNCREST_ASIO_PIN_VERSION} "${detail}")
    elseif(detail)
      message(WARNING "asyncrest: ${detail}; fetching Asio instead")
    endif()
    _asyncrest_announce_fetch(Asio ${ASYNCREST_ASIO_PIN_VERSION}
                              "${ASYNCREST_ASIO_PIN_URL}" "apt-get install libasio-dev")
    _asyncrest_declare_sources(asyncrest_asio
                               "${ASYNCREST_ASIO_PIN_URL}" ${ASYNCREST_ASIO_PIN_SHA256})
    FetchContent_MakeAvailable(asyncrest_asio)
    FetchContent_GetProperties(asyncrest_asio SOURCE_DIR src)
    set(include_dir "${src}/asio/include")
    if(NOT EXISTS "${include_dir}/asio.hpp")
      message(FATAL_ERROR "asyncrest: the Asio download has no ${include_dir}/asio.hpp. ${how_local}")
    endif()
    asyncrest_asio_version("${include_dir}" version)
    set(origin "pinned upstream release")
    set(where "${ASYNCREST_ASIO_PIN_URL}")
    set_property(GLOBAL PROPERTY ASYNCREST_ASIO_ORIGIN fetched)
  endif()

  find_package(Threads REQUIRED)
  add_library(asyncrest_asio INTERFACE)
  add_library(asyncrest::asio ALIAS asyncrest_asio)
  # SYSTEM: Asio's headers must not trip the project's warning flags.
  target_include_directories(asyncrest_asio SYSTEM INTERFACE "$<BUILD_INTERFACE:${include_dir}>")
  asyncrest_asio_compile_definitions(definitions)
  target_compile_definitions(asyncrest_asio INTERFACE ${definitions})
  target_link_libraries(asyncrest_asio INTERFACE Threads::Threads)
  # Installed as asyncrest::asio without an include directory: asyncrestConfig.cmake finds the
  # headers on the user's machine and adds it.
  set_target_properties(asyncrest_asio PROPERTIES EXPORT_NAME asio)
  _asyncrest_report(Asio "${version}" "${origin}" "${where}")
endfunction()

# ---------------------------------------------------------------------------
# llhttp::llhttp
# ---------------------------------------------------------------------------

# llhttp is plain generated C: compile the three sources ourselves so no
# upstream build system (or Node.js) is needed.
function(_asyncrest_add_llhttp_library src_dir include_dir)
  if(NOT CMAKE_C_COMPILER_LOADED)
    message(FATAL_ERROR "asyncrest: building llhttp needs the C language; "
                        "add C to project(... LANGUAGES C CXX).")
  endif()
  add_library(asyncrest_llhttp STATIC
    "${src_dir}/llhttp.c" "${src_dir}/api.c" "${src_dir}/http.c")
  add_library(llhttp::llhttp ALIAS asyncrest_llhttp)
  # Installed with asyncrest (as asyncrest::llhttp) in a directory of its own.
  target_include_directories(asyncrest_llhttp SYSTEM PUBLIC "$<BUILD_INTERFACE:${include_dir}>")
  target_include_directories(asyncrest_llhttp PUBLIC "$<INSTALL_INTERFACE:include/asyncrest-llhttp>")
  set_target_properties(asyncrest_llhttp PROPERTIES EXPORT_NAME llhttp PUBLIC_HEADER "${include_dir}/llhttp.h")
  set_target_properties(asyncrest_llhttp PROPERTIES
    POSITION_INDEPENDENT_CODE ON   # may end up inside a user's shared library
    C_CLANG_TIDY ""                # generated third-party code: not ours to lint
    C_CPPCHECK "")
  # llhttp 8 and older compile a loose parser unless told otherwise: it takes "5\r\r" for a chunk
  # size line and a space inside a field name. (llhttp 9 is strict by default and ignores this.)
  # The server refuses to start on a loose llhttp (detail/request_parser.hpp).
  target_compile_definitions(asyncrest_llhttp PRIVATE LLHTTP_STRICT_MODE=1)
  # Third-party generated code: its warnings are not actionable here.
  if(MSVC)
    target_compile_options(asyncrest_llhttp PRIVATE /w)
  else()
    target_compile_options(asyncrest_llhttp PRIVATE -w)
  endif()
endfunction()

function(_asyncrest_resolve_llhttp)
  if(TARGET llhttp::llhttp)
    message(STATUS "asyncrest: llhttp from existing target llhttp::llhttp")
    set_property(GLOBAL PROPERTY ASYNCREST_LLHTTP_ORIGIN target)
    return()
  endif()

  string(CONCAT how_local "On Debian/Ubuntu: apt-get install node-llhttp; or pass "
                       "-DASYNCREST_LLHTTP_SOURCE_DIR=<dir with llhttp.c, api.c, http.c> "
                       "-DASYNCREST_LLHTTP_INCLUDE_DIR=<dir with llhttp.h>")
  set(done FALSE)
  set(detail "")

  if(NOT ASYNCREST_FORCE_FETCH)
    # 1. Installed CMake package. llhttp 9 exports llhttp::llhttp_static and/or
    #    llhttp::llhttp_shared; some packagings also add llhttp::llhttp.
    find_package(llhttp CONFIG QUIET)
    if(llhttp_FOUND)
      set(target "")
      if(TARGET llhttp::llhttp)
        set(target llhttp::llhttp)
      elseif(TARGET llhttp::llhttp_static)
        set(target llhttp::llhttp_static)
      elseif(TARGET llhttp::llhttp_shared)
        set(target llhttp::llhttp_shared)
      endif()
      if(target)
        if(NOT target STREQUAL "llhttp::llhttp")
          add_library(llhttp::llhttp ALIAS ${target})
        endif()
        set(version "${llhttp_VERSION}")
        if(NOT version)
          get_target_property(incs ${target} INTERFACE_INCLUDE_DIRECTORIES)
          foreach(inc IN LISTS incs)
            if(NOT version AND EXISTS "${inc}/llhttp.h")
              _asyncrest_header_version("${inc}/llhttp.h" LLHTTP_VERSION version)
            endif()
          endforeach()
        endif()
        _asyncrest_report(llhttp "${version}" "installed CMake package" "${llhttp_DIR}")
        set_property(GLOBAL PROPERTY ASYNCREST_LLHTTP_ORIGIN installed)
        set_property(GLOBAL PROPERTY ASYNCREST_LLHTTP_IMPORTED_TARGET ${target})
        set(done TRUE)
      endif()
    endif()

    # 2. Debian's node-llhttp: generated sources in /usr/share/llhttp, header in
    #    /usr/share/include/llhttp. Both are searched only in llhttp-specific
    #    places so a header and sources of different versions are never mixed.
    if(NOT done)
      find_path(ASYNCREST_LLHTTP_SOURCE_DIR NAMES llhttp.c
                PATHS /usr/share/llhttp /usr/local/share/llhttp
                DOC "Directory with llhttp's generated C sources (llhttp.c, api.c, http.c)"
                NO_DEFAULT_PATH)
      set(src_dir "${ASYNCREST_LLHTTP_SOURCE_DIR}")
      # Also accept the root of an unpacked llhttp release.
      if(src_dir AND NOT EXISTS "${src_dir}/llhttp.c" AND EXISTS "${src_dir}/src/llhttp.c")
        set(src_dir "${src_dir}/src")
      endif()
      set(hints "")
      if(src_dir)
        list(APPEND hints "${src_dir}/../include")
      endif()
      find_path(ASYNCREST_LLHTTP_INCLUDE_DIR NAMES llhttp.h
                HINTS ${hints}
                PATHS /usr/share/include/llhttp /usr/local/share/include/llhttp
                DOC "Directory containing the llhttp.h matching ASYNCREST_LLHTTP_SOURCE_DIR"
                NO_DEFAULT_PATH)

      set(missing "")
      if(src_dir)
        foreach(f llhttp.c api.c http.c)
          if(NOT EXISTS "${src_dir}/${f}")
            list(APPEND missing "${src_dir}/${f}")
          endif()
        endforeach()
      endif()
      if(ASYNCREST_LLHTTP_INCLUDE_DIR)
        if(NOT EXISTS "${ASYNCREST_LLHTTP_INCLUDE_DIR}/llhttp.h")
          list(APPEND missing "${ASYNCREST_LLHTTP_INCLUDE_DIR}/llhttp.h")
        endif()
      elseif(src_dir)
        list(APPEND missing "llhttp.h (set ASYNCREST_LLHTTP_INCLUDE_DIR)")
      endif()

      if(src_dir AND ASYNCREST_LLHTTP_INCLUDE_DIR AND NOT missing)
        _asyncrest_add_llhttp_library("${src_dir}" "${ASYNCREST_LLHTTP_INCLUDE_DIR}")
        _asyncrest_header_version("${ASYNCREST_LLHTTP_INCLUDE_DIR}/llhttp.h" LLHTTP_VERSION version)
        if(src_dir MATCHES "^(/usr)?(/local)?/share/llhttp/?$")
          set(origin "Debian sources")
        else()
          set(origin "local sources")
        endif()
        _asyncrest_report(llhttp "${version}" "${origin}" "${src_dir}")
        set_property(GLOBAL PROPERTY ASYNCREST_LLHTTP_ORIGIN sources)
        set(done TRUE)
      elseif(missing)
        # Only a user-given (or stale cached) path can point at missing files.
        list(JOIN missing ", " missing)
        set(detail "missing ${missing}")
        if(ASYNCREST_FETCH_DEPS)
          message(WARNING "asyncrest: ASYNCREST_LLHTTP_SOURCE_DIR/ASYNCREST_LLHTTP_INCLUDE_DIR "
                          "unusable (${detail}); fetching llhttp instead")
        endif()
      endif()
    endif()
  endif()

  # 3. Pinned release tarball (release/vX.Y.Z carries src/*.c and include/llhttp.h).
  if(NOT done)
    if(NOT ASYNCREST_FETCH_DEPS)
      _asyncrest_not_found(llhttp "${how_local}" ${ASYNCREST_LLHTTP_PIN_VERSION} "${detail}")
    endif()
    _asyncrest_announce_fetch(llhttp ${ASYNCREST_LLHTTP_PIN_VERSION}
                              "${ASYNCREST_LLHTTP_PIN_URL}" "apt-get install node-llhttp")
    _asyncrest_declare_sources(asyncrest_llhttp
                               "${ASYNCREST_LLHTTP_PIN_URL}" ${ASYNCREST_LLHTTP_PIN_SHA256})
    FetchContent_MakeAvailable(asyncrest_llhttp)
    FetchContent_GetProperties(asyncrest_llhttp SOURCE_DIR src)
    foreach(f src/llhttp.c src/api.c src/http.c include/llhttp.h)
      if(NOT EXISTS "${src}/${f}")
        message(FATAL_ERROR "asyncrest: the llhttp download has no ${src}/${f}. ${how_local}")
      endif()
    endforeach()
    _asyncrest_add_llhttp_library("${src}/src" "${src}/include")
    _asyncrest_header_version("${src}/include/llhttp.h" LLHTTP_VERSION version)
    _asyncrest_report(llhttp "${version}" "pinned upstream release" "${ASYNCREST_LLHTTP_PIN_URL}")
    # Built from sources like Debian's: installable with asyncrest.
    set_property(GLOBAL PROPERTY ASYNCREST_LLHTTP_ORIGIN sources)
  endif()
endfunction()

# ---------------------------------------------------------------------------
# asyncrest::simdjson
# ---------------------------------------------------------------------------

function(_asyncrest_resolve_simdjson)
  if(TARGET asyncrest::simdjson)
    message(STATUS "asyncrest: simdjson from existing target asyncrest::simdjson")
    set_property(GLOBAL PROPERTY ASYNCREST_SIMDJSON_ORIGIN target)
    return()
  endif()

  string(CONCAT how_local "On Debian/Ubuntu: apt-get install libsimdjson-dev; "
                       "or pass -Dsimdjson_DIR=<dir with simdjson-config.cmake>")
  set(target "")

  # A parent that already built simdjson: reuse it rather than clash with a
  # second `simdjson` target.
  if(TARGET simdjson::simdjson)
    set(target simdjson::simdjson)
    message(STATUS "asyncrest: simdjson from existing target simdjson::simdjson")
    set_property(GLOBAL PROPERTY ASYNCREST_SIMDJSON_ORIGIN target)
  endif()

  # 1. Installed CMake package (Debian: libsimdjson-dev).
  if(NOT target AND NOT ASYNCREST_FORCE_FETCH)
    find_package(simdjson CONFIG QUIET)
    if(simdjson_FOUND AND TARGET simdjson::simdjson)
      set(target simdjson::simdjson)
      _asyncrest_report(simdjson "${simdjson_VERSION}" "installed CMake package" "${simdjson_DIR}")
      set_property(GLOBAL PROPERTY ASYNCREST_SIMDJSON_ORIGIN installed)
    endif()
  endif()

  # 2. Debian ships simdjson prebuilt, not as sources: step 1 covers it.

  # 3. Pinned release, built by simdjson's own CMake as a subproject.
  if(NOT target)
    if(NOT ASYNCREST_FETCH_DEPS)
      _asyncrest_not_found(simdjson "${how_local}" ${ASYNCREST_SIMDJSON_PIN_VERSION} "")
    endif()
    _asyncrest_announce_fetch(simdjson ${ASYNCREST_SIMDJSON_PIN_VERSION}
                              "${ASYNCREST_SIMDJSON_PIN_URL}" "apt-get install libsimdjson-dev")
    # Function-scoped, so they reach only simdjson's subdirectory: library
    # only, static and PIC so it can be linked into anything.
    set(SIMDJSON_DEVELOPER_MODE OFF)
    set(SIMDJSON_BUILD_STATIC_LIB OFF)
    set(BUILD_SHARED_LIBS OFF)
    set(CMAKE_POSITION_INDEPENDENT_CODE ON)
    set(system "")
    if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.25)
      set(system SYSTEM)   # keep simdjson's headers out of our warnings
    endif()
    # Upstream content name, so a parent's declaration of simdjson wins.
    FetchContent_Declare(simdjson
      URL "${ASYNCREST_SIMDJSON_PIN_URL}"
      URL_HASH SHA256=${ASYNCREST_SIMDJSON_PIN_SHA256}
      DOWNLOAD_EXTRACT_TIMESTAMP TRUE
      ${system})
    FetchContent_MakeAvailable(simdjson)
    if(NOT TARGET simdjson::simdjson)
      message(FATAL_ERROR "asyncrest: the simdjson download defined no simdjson::simdjson. ${how_local}")
    endif()
    set(target simdjson::simdjson)
    FetchContent_GetProperties(simdjson SOURCE_DIR src)
    set(version "${ASYNCREST_SIMDJSON_PIN_VERSION}")
    if(EXISTS "${src}/include/simdjson/simdjson_version.h")
      file(STRINGS "${src}/include/simdjson/simdjson_version.h" line
           REGEX "^#[ \t]*define[ \t]+SIMDJSON_VERSION[ \t]")
      if(line MATCHES "SIMDJSON_VERSION[ \t]+\"?([0-9.]+)")
        set(version "${CMAKE_MATCH_1}")
      endif()
    endif()
    _asyncrest_report(simdjson "${version}" "pinned upstream release" "${ASYNCREST_SIMDJSON_PIN_URL}")
    set_property(GLOBAL PROPERTY ASYNCREST_SIMDJSON_ORIGIN fetched)
  endif()

  add_library(asyncrest_simdjson INTERFACE)
  add_library(asyncrest::simdjson ALIAS asyncrest_simdjson)
  target_link_libraries(asyncrest_simdjson INTERFACE ${target})
endfunction()

# ---------------------------------------------------------------------------
# asyncrest::doctest (tests only)
# ---------------------------------------------------------------------------

# Also sets ASYNCREST_DOCTEST_MODULE_DIR for the includer: the directory of
# doctest.cmake (doctest_discover_tests), empty when the copy has none.
function(_asyncrest_resolve_doctest)
  if(TARGET asyncrest::doctest)
    message(STATUS "asyncrest: doctest from existing target asyncrest::doctest")
    return()
  endif()

  string(CONCAT how_local "On Debian/Ubuntu: apt-get install doctest-dev; "
                       "or pass -DASYNCREST_DOCTEST_INCLUDE_DIR=<dir containing doctest/doctest.h>")
  set(target "")
  set(include_dir "")
  set(module_dir "")

  if(TARGET doctest::doctest)
    set(target doctest::doctest)
    message(STATUS "asyncrest: doctest from existing target doctest::doctest")
  endif()

  if(NOT target AND NOT ASYNCREST_FORCE_FETCH)
    # 1a. Installed CMake package (Debian: doctest-dev).
    find_package(doctest CONFIG QUIET)
    if(doctest_FOUND AND TARGET doctest::doctest)
      set(target doctest::doctest)
      if(EXISTS "${doctest_DIR}/doctest.cmake")
        set(module_dir "${doctest_DIR}")
      endif()
      _asyncrest_report(doctest "${doctest_VERSION}" "installed CMake package" "${doctest_DIR}")
    else()
      # 1b. Installed header only.
      find_path(ASYNCREST_DOCTEST_INCLUDE_DIR NAMES doctest/doctest.h
                DOC "Directory containing doctest/doctest.h")
      if(ASYNCREST_DOCTEST_INCLUDE_DIR
         AND EXISTS "${ASYNCREST_DOCTEST_INCLUDE_DIR}/doctest/doctest.h")
        set(include_dir "${ASYNCREST_DOCTEST_INCLUDE_DIR}")
        _asyncrest_header_version("${include_dir}/doctest/doctest.h" DOCTEST_VERSION version)
        _asyncrest_report(doctest "${version}" "installed headers" "${include_dir}")
      endif()
    endif()
  endif()

  # 2. Debian ships doctest as a CMake package: step 1 covers it.

  # 3. Pinned release; only its single header is used.
  if(NOT target AND NOT include_dir)
    set(detail "")
    if(ASYNCREST_DOCTEST_INCLUDE_DIR AND NOT ASYNCREST_FORCE_FETCH)
      set(detail "ASYNCREST_DOCTEST_INCLUDE_DIR=${ASYNCREST_DOCTEST_INCLUDE_DIR} has no doctest/doctest.h")
    endif()
    if(NOT ASYNCREST_FETCH_DEPS)
      _asyncrest_not_found(doctest "${how_local}" ${ASYNCREST_DOCTEST_PIN_VERSION} "${detail}")
    elseif(detail)
      message(WARNING "asyncrest: ${detail}; fetching doctest instead")
    endif()
    _asyncrest_announce_fetch(doctest ${ASYNCREST_DOCTEST_PIN_VERSION}
                              "${ASYNCREST_DOCTEST_PIN_URL}" "apt-get install doctest-dev")
    _asyncrest_declare_sources(asyncrest_doctest
                               "${ASYNCREST_DOCTEST_PIN_URL}" ${ASYNCREST_DOCTEST_PIN_SHA256})
    FetchContent_MakeAvailable(asyncrest_doctest)
    FetchContent_GetProperties(asyncrest_doctest SOURCE_DIR src)
    if(NOT EXISTS "${src}/doctest/doctest.h")
      message(FATAL_ERROR "asyncrest: the doctest download has no ${src}/doctest/doctest.h. ${how_local}")
    endif()
    set(include_dir "${src}")
    if(EXISTS "${src}/scripts/cmake/doctest.cmake")
      set(module_dir "${src}/scripts/cmake")
    endif()
    _asyncrest_header_version("${include_dir}/doctest/doctest.h" DOCTEST_VERSION version)
    _asyncrest_report(doctest "${version}" "pinned upstream release" "${ASYNCREST_DOCTEST_PIN_URL}")
  endif()

  add_library(asyncrest_doctest INTERFACE)
  add_library(asyncrest::doctest ALIAS asyncrest_doctest)
  if(target)
    target_link_libraries(asyncrest_doctest INTERFACE ${target})
  else()
    target_include_directories(asyncrest_doctest SYSTEM INTERFACE "$<BUILD_INTERFACE:${include_dir}>")
  endif()
  set(ASYNCREST_DOCTEST_MODULE_DIR "${module_dir}" PARENT_SCOPE)
endfunction()

# ---------------------------------------------------------------------------

# ---------------------------------------------------------------------------
# asyncrest::tls (opt-in: link it to use https:// URLs with the client)
# ---------------------------------------------------------------------------

function(_asyncrest_resolve_tls)
  if(TARGET asyncrest::tls)
    return()
  endif()
  find_package(OpenSSL QUIET)
  if(NOT OpenSSL_FOUND)
    message(STATUS "asyncrest: OpenSSL not found, so no asyncrest::tls "
                   "(the client then refuses https:// URLs; on Debian/Ubuntu: apt-get install libssl-dev)")
    return()
  endif()
  add_library(asyncrest_tls INTERFACE)
  add_library(asyncrest::tls ALIAS asyncrest_tls)
  target_compile_definitions(asyncrest_tls INTERFACE ASYNCREST_WITH_OPENSSL=1)
  target_link_libraries(asyncrest_tls INTERFACE OpenSSL::SSL OpenSSL::Crypto)
  _asyncrest_report(OpenSSL "${OPENSSL_VERSION}" "installed package" "${OPENSSL_INCLUDE_DIR}")
endfunction()

# ---------------------------------------------------------------------------
# asyncrest::zlib (opt-in: link it for compression, WebSocket's permessage-deflate)
# ---------------------------------------------------------------------------

function(_asyncrest_resolve_zlib)
  if(TARGET asyncrest::zlib)
    return()
  endif()
  find_package(ZLIB QUIET)
  if(NOT ZLIB_FOUND)
    message(STATUS "asyncrest: zlib not found, so no asyncrest::zlib (WebSocket compression, permessage-deflate, "
                   "is then unavailable; on Debian/Ubuntu: apt-get install zlib1g-dev)")
    return()
  endif()
  add_library(asyncrest_zlib INTERFACE)
  add_library(asyncrest::zlib ALIAS asyncrest_zlib)
  target_compile_definitions(asyncrest_zlib INTERFACE ASYNCREST_WITH_ZLIB=1)
  target_link_libraries(asyncrest_zlib INTERFACE ZLIB::ZLIB)
  _asyncrest_report(zlib "${ZLIB_VERSION_STRING}" "installed package" "${ZLIB_INCLUDE_DIRS}")
endfunction()

# ---------------------------------------------------------------------------
# asyncrest::brotli (opt-in: link it for br in HTTP compression, server and client)
# ---------------------------------------------------------------------------

# The encoder and decoder libraries, each with brotlicommon, from pkg-config or a plain search;
# failing both, the pinned release built with its own CMake (its tools and tests left out).
function(_asyncrest_resolve_brotli)
  if(TARGET asyncrest::brotli)
    return()
  endif()
  set(libraries "")
  set(version "")
  set(where "")
  set(origin "installed package")
  if(NOT ASYNCREST_FORCE_FETCH)
    find_package(PkgConfig QUIET)
    if(PkgConfig_FOUND)
      pkg_check_modules(ASYNCREST_BROTLI QUIET IMPORTED_TARGET libbrotlienc libbrotlidec)
      if(ASYNCREST_BROTLI_FOUND)
        set(libraries PkgConfig::ASYNCREST_BROTLI)
        set(version "${ASYNCREST_BROTLI_libbrotlienc_VERSION}")
        set(where "pkg-config")
      endif()
    endif()
    if(NOT libraries)
      find_path(ASYNCREST_BROTLI_INCLUDE_DIR NAMES brotli/encode.h brotli/decode.h)
      find_library(ASYNCREST_BROTLI_ENCODER_LIBRARY NAMES brotlienc)
      find_library(ASYNCREST_BROTLI_DECODER_LIBRARY NAMES brotlidec)
      find_library(ASYNCREST_BROTLI_COMMON_LIBRARY NAMES brotlicommon)
      if(ASYNCREST_BROTLI_INCLUDE_DIR AND ASYNCREST_BROTLI_ENCODER_LIBRARY AND ASYNCREST_BROTLI_DECODER_LIBRARY
         AND ASYNCREST_BROTLI_COMMON_LIBRARY)
        add_library(asyncrest_brotli_found INTERFACE)
        target_include_directories(asyncrest_brotli_found SYSTEM INTERFACE "${ASYNCREST_BROTLI_INCLUDE_DIR}")
        target_link_libraries(asyncrest_brotli_found INTERFACE
          "${ASYNCREST_BROTLI_ENCODER_LIBRARY}" "${ASYNCREST_BROTLI_DECODER_LIBRARY}"
          "${ASYNCREST_BROTLI_COMMON_LIBRARY}")
        set(libraries asyncrest_brotli_found)
        set(where "${ASYNCREST_BROTLI_INCLUDE_DIR}")
      endif()
    endif()
  endif()
  if(NOT libraries AND ASYNCREST_FETCH_DEPS)
    _asyncrest_announce_fetch(brotli ${ASYNCREST_BROTLI_PIN_VERSION} "${ASYNCREST_BROTLI_PIN_URL}"
                              "apt-get install libbrotli-dev")
    set(BROTLI_DISABLE_TESTS ON CACHE BOOL "" FORCE)
    set(BROTLI_BUNDLED_MODE ON CACHE BOOL "" FORCE)  # no install rules, no tool
    FetchContent_Declare(asyncrest_brotli
      URL "${ASYNCREST_BROTLI_PIN_URL}"
      URL_HASH SHA256=${ASYNCREST_BROTLI_PIN_SHA256}
      DOWNLOAD_EXTRACT_TIMESTAMP TRUE)
    FetchContent_MakeAvailable(asyncrest_brotli)
    set(libraries brotlienc brotlidec brotlicommon)
    set(version ${ASYNCREST_BROTLI_PIN_VERSION})
    set(origin "pinned upstream release")
    set(where "${ASYNCREST_BROTLI_PIN_URL}")
  endif()
  if(NOT libraries)
    message(STATUS "asyncrest: brotli not found, so no asyncrest::brotli (HTTP compression then offers gzip "
                   "only; on Debian/Ubuntu: apt-get install libbrotli-dev)")
    return()
  endif()
  add_library(asyncrest_brotli INTERFACE)
  add_library(asyncrest::brotli ALIAS asyncrest_brotli)
  target_compile_definitions(asyncrest_brotli INTERFACE ASYNCREST_WITH_BROTLI=1)
  target_link_libraries(asyncrest_brotli INTERFACE ${libraries})
  _asyncrest_report(brotli "${version}" "${origin}" "${where}")
endfunction()

_asyncrest_resolve_asio()
_asyncrest_resolve_llhttp()
_asyncrest_resolve_simdjson()
_asyncrest_resolve_tls()
_asyncrest_resolve_zlib()
_asyncrest_resolve_brotli()
if(ASYNCREST_NEED_DOCTEST)
  _asyncrest_resolve_doctest()
endif()
