// Header-only by default; with ASYNCREST_SEPARATE_COMPILATION defined in every translation unit
// (linking the CMake target asyncrest::compiled does it), the server's machinery is compiled
// once, in the one file that includes <asyncrest/src.hpp>, instead of in every file that
// includes <asyncrest/app.hpp>.
#pragma once

#if defined(ASYNCREST_SEPARATE_COMPILATION)
#define ASYNCREST_DECL
#else
#define ASYNCREST_DECL inline
#endif
