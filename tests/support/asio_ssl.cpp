// Asio's TLS code, compiled once for the test suite when it is built with OpenSSL (see asio.cpp,
// and its first include).
#include <cstddef>

#include <asio/ssl/impl/src.hpp>
