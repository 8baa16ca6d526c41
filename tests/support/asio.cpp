// Asio's non-template code, compiled once for the whole test suite (ASIO_SEPARATE_COMPILATION)
// instead of once in every test file, and asyncrest's server compiled once against it.
// A standard header comes first, as in every other file: Asio decides how it allocates coroutine
// frames from a macro of libstdc++'s that only a standard header defines (see asyncrest/core/task.hpp).
#include <cstddef>

#include <asio/impl/src.hpp>
#include <asyncrest/src.hpp>
