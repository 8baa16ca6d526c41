// The server the load benchmarks run against: plaintext and JSON, as in TechEmpower's tests.
//   server [port] [threads]
#include <asyncrest/asyncrest.hpp>

#include <cstdlib>

namespace ar = asyncrest;

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8080);
  const auto threads = static_cast<unsigned>(argc > 2 ? std::atoi(argv[2]) : 1);
  ar::app app{ar::routes(ar::get<"/plaintext">([](ar::request&) { return ar::text("Hello, World!"); }),
                         ar::get<"/json">([](ar::request&) {
                           return ar::json({{"message", "Hello, World!"}});
                         }))};
  app.run({.host = "127.0.0.1", .port = port, .threads = threads});
}
