// Asio's TLS code, compiled once for the tests that use HTTPS (see asio.cpp, and its first include).
#include <cstddef>

#include <asio/ssl/impl/src.hpp>
