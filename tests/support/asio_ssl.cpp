// Asio's TLS code, compiled once for the tests that use HTTPS (see asio.cpp).
#include <asio/ssl/impl/src.hpp>
