// Sends asyncrest's spans to the OTLP endpoint at argv[1]: a service with the tracing
// middleware answers one request from an outside caller (a traceparent), and its handler calls
// the service again with the client, so the body holds SERVER and CLIENT spans, remote and local
// parents. Destroying the app sends them. For otlp_shape_test.py.
#include <asyncrest/asyncrest.hpp>

#include <asio/this_coro.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

namespace ar = asyncrest;

namespace {

std::uint16_t service_port = 0;

// One request, on a blocking socket; returns whether the reply is a 200.
bool request_once(std::uint16_t port) {
  const int descriptor = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(descriptor, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) return false;
  const std::string request =
      "GET /outer HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nUser-Agent: otlp-probe\r\n"
      "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\n";
  if (::write(descriptor, request.data(), request.size()) != static_cast<ssize_t>(request.size())) return false;
  std::string reply;
  char buffer[4096];
  for (ssize_t got = 0; (got = ::read(descriptor, buffer, sizeof buffer)) > 0;)
    reply.append(buffer, static_cast<std::size_t>(got));
  ::close(descriptor);
  return reply.starts_with("HTTP/1.1 200");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: otlp_probe OTLP_TRACES_URL\n");
    return 2;
  }
  auto routes = ar::routes(ar::get<"/outer">([]() -> ar::task<ar::response> {
                             ar::client http{co_await asio::this_coro::executor};
                             const auto inner =
                                 co_await http.get("http://127.0.0.1:" + std::to_string(service_port) + "/inner");
                             co_return ar::text(inner.body);
                           }),
                           ar::get<"/inner">([] { return ar::text("inner"); }));
  auto app = std::make_unique<ar::app<decltype(routes), ar::tracing>>(
      routes, ar::tracing{{.endpoint = argv[1], .service_name = "asyncrest-probe"}});
  ar::server_settings settings;
  settings.host = "127.0.0.1";
  settings.port = 0;
  settings.threads = 1;
  settings.handle_signals = false;
  service_port = app->listen(settings);
  std::thread server([&] { app->run(); });
  const bool answered = request_once(service_port);
  app->stop();
  server.join();
  app.reset();  // the tracing middleware's exporter sends the three spans
  return answered ? 0 : 1;
}
