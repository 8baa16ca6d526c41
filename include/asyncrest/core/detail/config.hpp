// Header-only by default; with ASYNCREST_SEPARATE_COMPILATION defined in every translation unit
// (linking the CMake target asyncrest::compiled does it), the server's machinery is compiled
// once, in the one file that includes <asyncrest/src.hpp>, instead of in every file that
// includes <asyncrest/server/app.hpp>.
#pragma once

#if defined(ASYNCREST_SEPARATE_COMPILATION)
#define ASYNCREST_DECL
#else
#define ASYNCREST_DECL inline
#endif

// Asio is header-only, or compiled once with ASIO_SEPARATE_COMPILATION; a program must build all
// its files the same way. A compiled server (asyncrest::compiled) built one way and linked into
// files built the other way would hold a second copy of Asio's process-wide state (its signal
// handling, among others) and corrupt memory at run time. The compiled server's names carry the
// way it was built, so that such a mix fails to link instead, with an undefined reference to
// asyncrest::detail::asio_header_only::... or asyncrest::detail::asio_separately_compiled::...
#if defined(ASIO_SEPARATE_COMPILATION)
#define ASYNCREST_ASIO_BUILD asio_separately_compiled
#else
#define ASYNCREST_ASIO_BUILD asio_header_only
#endif
