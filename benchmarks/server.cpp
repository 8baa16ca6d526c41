// The asyncrest server the load benchmarks run against. Scenarios:
//   GET  /plaintext                          "Hello, World!" as text/plain
//   GET  /json                               {"message":"Hello, World!"}, serialized per request
//   GET  /repos/{owner}/{repo}/issues/{n}    one of 200 routes (github_routes.txt); the body is
//                                            the path parameters joined by '/'
//   POST /echo                               a JSON body parsed and written back
//
//   benchmark_server [port] [threads]        port 0: the kernel picks one; the port is printed
#include "github_routes.hpp"

#include <asyncrest/server.hpp>

#include <cstdio>
#include <cstdlib>

namespace ar = asyncrest;

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8080);
  const auto threads = static_cast<unsigned>(argc > 2 ? std::atoi(argv[2]) : 1);
  ar::app app{benchmark_routes::github_routes(
      ar::get<"/plaintext">([](ar::request&) { return ar::text("Hello, World!"); }), ar::get<"/json">([](ar::request&) {
        return ar::json({{"message", "Hello, World!"}});
      }),
      ar::post<"/echo">([](ar::request& req) { return ar::json(req.json()); }))};
  const std::uint16_t listening = app.listen({.host = "127.0.0.1", .port = port, .threads = threads});
  std::printf("listening on port %u\n", static_cast<unsigned>(listening));
  std::fflush(stdout);
  app.run();
}
