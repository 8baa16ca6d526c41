// The server's machinery, compiled once: include this header in exactly one .cpp file of a
// program built with ASYNCREST_SEPARATE_COMPILATION. The CMake target asyncrest::compiled is
// that file, built as a static library, with the definition set for everything that links it:
//
//     target_link_libraries(my_service PRIVATE asyncrest::compiled)   # instead of asyncrest::asyncrest
//
// Every other file then parses only the server's declarations and compiles none of its code,
// which saves seconds on each rebuild of a file that makes an app.
#pragma once

#if !defined(ASYNCREST_SEPARATE_COMPILATION)
#error \
    "asyncrest/src.hpp is for programs built with ASYNCREST_SEPARATE_COMPILATION: link asyncrest::compiled, or define it for every file"
#endif

#include <asyncrest/detail/impl/server_core.ipp>
