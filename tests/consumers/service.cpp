// The service every consumer project builds: the smallest real asyncrest app. It listens on
// 127.0.0.1 and the port in PORT, prints where, and stops on SIGTERM.
#include <asyncrest/asyncrest.hpp>

#include <cstdio>
#include <cstdlib>

namespace ar = asyncrest;

int main() {
  const char* port_text = std::getenv("PORT");
  auto port = static_cast<std::uint16_t>(port_text ? std::atoi(port_text) : 0);
  ar::app app{ar::routes(ar::get<"/">([](ar::request&) { return ar::json({{"consumer", ASYNCREST_CONSUMER}}); }))};
  port = app.listen({.host = "127.0.0.1", .port = port});
  std::printf("listening on http://127.0.0.1:%u\n", static_cast<unsigned>(port));
  std::fflush(stdout);
  app.run();
}
