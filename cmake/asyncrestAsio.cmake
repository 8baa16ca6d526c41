# Standalone Asio ships no CMake package, so asyncrest finds its headers itself. This file is
# used both when building asyncrest and, installed next to asyncrestConfig.cmake, when a
# project finds an installed asyncrest.
#
#   asyncrest_find_asio_headers(<out_dir> <out_version>)  searches the usual include paths
#                                                         and ASYNCREST_ASIO_INCLUDE_DIR
#   asyncrest_asio_version(<include_dir> <out_version>)   reads asio/version.hpp
#   asyncrest_asio_compile_definitions(<out_list>)        what every user of Asio needs

include_guard(GLOBAL)

function(asyncrest_asio_version include_dir out)
  set(version "")
  set(header "${include_dir}/asio/version.hpp")
  if(EXISTS "${header}")
    file(STRINGS "${header}" line REGEX "^#[ \t]*define[ \t]+ASIO_VERSION[ \t]+[0-9]+")
    if(line MATCHES "ASIO_VERSION[ \t]+([0-9]+)")
      set(v "${CMAKE_MATCH_1}")
      math(EXPR major "${v} / 100000")
      math(EXPR minor "${v} / 100 % 1000")
      math(EXPR patch "${v} % 100")
      set(version "${major}.${minor}.${patch}")
    endif()
  endif()
  set(${out} "${version}" PARENT_SCOPE)
endfunction()

function(asyncrest_find_asio_headers out_dir out_version)
  find_path(ASYNCREST_ASIO_INCLUDE_DIR NAMES asio.hpp DOC "Directory containing standalone Asio's asio.hpp")
  set(dir "")
  set(version "")
  if(ASYNCREST_ASIO_INCLUDE_DIR AND EXISTS "${ASYNCREST_ASIO_INCLUDE_DIR}/asio/version.hpp")
    set(dir "${ASYNCREST_ASIO_INCLUDE_DIR}")
    asyncrest_asio_version("${dir}" version)
  endif()
  set(${out_dir} "${dir}" PARENT_SCOPE)
  set(${out_version} "${version}" PARENT_SCOPE)
endfunction()

# Asio before 1.24 looks for <experimental/coroutine> under clang, which libstdc++ does not
# have; clang has C++20 coroutines with <coroutine>, so say so.
function(asyncrest_asio_compile_definitions out)
  set(${out} ASIO_STANDALONE ASIO_NO_DEPRECATED "$<$<CXX_COMPILER_ID:Clang,AppleClang>:ASIO_HAS_CO_AWAIT=1>"
      PARENT_SCOPE)
endfunction()
