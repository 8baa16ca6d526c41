// The server's machinery, compiled once: include this header in exactly one .cpp file of a
// program built with ASYNCREST_SEPARATE_COMPILATION. The CMake target asyncrest::compiled is
// that file, built as a static library, with the definition set for everything that links it:
//
//     target_link_libraries(my_service PRIVATE asyncrest::compiled)   # instead of asyncrest::asyncrest
//
// Every other file then parses only the server's declarations and compiles none of its code,
// which saves seconds on each rebuild of a file that makes an app.
//
// asyncrest::compiled uses Asio header-only, as a program does by default. A program that
// compiles Asio once instead (ASIO_SEPARATE_COMPILATION, with <asio/impl/src.hpp> in one file)
// includes this header in that same file, built with both definitions, and links
// asyncrest::asyncrest: a mix of the two ways fails to link (see detail/config.hpp).
#pragma once

#if !defined(ASYNCREST_SEPARATE_COMPILATION)
#error \
    "asyncrest/src.hpp is for programs built with ASYNCREST_SEPARATE_COMPILATION: link asyncrest::compiled, or define it for every file"
#endif

#include <asyncrest/server/detail/impl/route_tree.ipp>
#include <asyncrest/server/detail/impl/server_core.ipp>
