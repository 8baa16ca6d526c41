// Asio's non-template code, compiled once for the whole test suite (ASIO_SEPARATE_COMPILATION)
// instead of once in every test file, and asyncrest's server compiled once against it.
#include <asio/impl/src.hpp>
#include <asyncrest/src.hpp>
