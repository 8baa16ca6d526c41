// The logging example: request ids and access logs, with the lines handed to spdlog, as a
// service that already logs through spdlog would have them. Without spdlog, the default sink
// (`ar::access_log{}`) writes the same JSON lines to standard output.
#include <asyncrest/server.hpp>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace ar = asyncrest;

/// An access log sink: each line to an spdlog logger. Called on the log's own thread, never on
/// a server thread, so a logger that blocks holds up no request.
struct spdlog_sink {
  std::shared_ptr<spdlog::logger> logger;

  void write(std::string_view lines) const {
    while (!lines.empty()) {
      const std::size_t end = lines.find('\n');  // every line ends with one
      logger->info("{}", lines.substr(0, end));
      lines.remove_prefix(end + 1);
    }
  }
};

int main() {
  auto routes =
      ar::routes(ar::get<"/">([](ar::request&) { return ar::text("Hello, World!"); }),
                 // The request's id is a dependency: request_ids (below) provides it, which the app checks
                 // when it is made. The id a handler sees is the one in the log line and the response.
                 ar::get<"/users/{id:int}">([](std::int64_t id, ar::depends<ar::request_id> request) {
                   if (id <= 0) throw ar::http_error(ar::status::not_found, "no user " + std::to_string(id));
                   return ar::json({{"id", id}, {"request_id", std::string(request->value())}});
                 }),
                 ar::get<"/fail">([](ar::request&) -> ar::response { throw std::runtime_error("something broke"); }));

  std::uint16_t port = 8080;
  if (const char* text = std::getenv("PORT")) {
    auto [end, error] = std::from_chars(text, text + std::strlen(text), port);
    if (error != std::errc{} || *end != '\0') {
      std::fprintf(stderr, "logging: PORT must be a number from 0 to 65535, not \"%s\"\n", text);
      return 2;
    }
  }

  // The access lines go to their own logger (on standard output, with spdlog's time and level in
  // front); the rest of a service would log through its other loggers.
  auto access = spdlog::stdout_logger_mt("access");
  access->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] %v");
  access->flush_on(spdlog::level::info);

  ar::app app{routes, ar::request_ids{}, ar::access_log<spdlog_sink>{{}, spdlog_sink{access}}};
  port = app.listen({.host = "127.0.0.1", .port = port});
  std::printf("logging: listening on http://127.0.0.1:%u\n", static_cast<unsigned>(port));
  std::fflush(stdout);
  app.run();  // Ctrl-C drains requests in flight, then returns
}
