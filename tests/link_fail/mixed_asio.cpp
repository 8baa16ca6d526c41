// A program that compiles Asio once (ASIO_SEPARATE_COMPILATION) but links asyncrest::compiled,
// which was built against header-only Asio: it must not link, since it would hold two copies of
// Asio's process-wide state.
// expected error: undefined reference to .*asyncrest::detail::asio_separately_compiled::server_core
#include <asio/impl/src.hpp>
#include <asyncrest/asyncrest.hpp>

int main() {
  asyncrest::app app{asyncrest::routes(asyncrest::get<"/">([](asyncrest::request&) { return asyncrest::text("x"); }))};
  app.run({.host = "127.0.0.1", .port = 0});
}
