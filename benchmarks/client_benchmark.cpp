// Requests per second of asyncrest's client: `connections` coroutines share one client (a pool
// of as many connections) and send `requests` GETs in total, one after another on each.
//   client_benchmark URL [connections] [requests]
#include <asyncrest/client/client.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace ar = asyncrest;

namespace {

ar::task<void> worker(ar::client& http, std::string url, std::size_t& remaining, std::size_t& failures) {
  while (remaining > 0) {
    --remaining;
    auto outcome = co_await http.try_get(url);
    if (!outcome || outcome->status != ar::status::ok) ++failures;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s URL [connections] [requests]\n", argv[0]);
    return 2;
  }
  const std::string url = argv[1];
  const std::size_t connections = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 64;
  const std::size_t requests = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 200000;

  asio::io_context io(1);
  ar::client http{io, {.pool = {.max_connections_per_host = connections}}};
  std::size_t remaining = requests;
  std::size_t failures = 0;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t index = 0; index < connections; ++index) {
    asio::co_spawn(io, worker(http, url, remaining, failures), asio::detached);
  }
  io.run();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("asyncrest client: %zu requests, %zu connections, %.2f s, %.0f requests/s, %zu failed\n", requests,
              connections, seconds, static_cast<double>(requests) / seconds, failures);
  return failures == 0 ? 0 : 1;
}
