// The service example: a template for production, with everything on. A JSON API behind a rate
// limit, Prometheus metrics, liveness and readiness with a two-phase shutdown, request ids, JSON
// access logs on standard output, and traces exported when a collector is named.
//
//   GET /api/hello/{name}   {"greeting": "Hello, NAME!", "request_id": "..."}; 10 a second per
//                           client address, with a burst of 20 (429 past it)
//   GET /metrics            Prometheus text
//   GET /healthz, /readyz   alive; ready (503 from the moment a stop begins)
//
// Environment: PORT (default 8080; 0 picks a free port), READINESS_GRACE_MS (how long to keep
// serving, not ready, after SIGTERM; default 0), OTEL_EXPORTER_OTLP_ENDPOINT and
// OTEL_SERVICE_NAME (traces are exported only when the endpoint is set).
#include <asyncrest/asyncrest.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

namespace ar = asyncrest;
using namespace std::chrono_literals;

namespace {

/// The answer of GET /api/hello/{name}, written as JSON by its members' names.
struct hello_reply {
  std::string greeting;
  std::string request_id;
};

/// An unsigned number from the environment, or `fallback`; nullopt for a malformed one.
std::optional<std::uint64_t> number_from_environment(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr) return fallback;
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text, text + std::strlen(text), value);
  if (error != std::errc{} || *end != '\0') {
    std::fprintf(stderr, "service: %s must be a number, not \"%s\"\n", name, text);
    return std::nullopt;
  }
  return value;
}

/// Builds the app with the middleware given (with tracing or without: a middleware is part of
/// the app's type), serves until SIGINT or SIGTERM, and drains.
template <class... Operations>
int serve(std::uint16_t port, std::chrono::milliseconds grace, Operations... operations) {
  ar::metrics_registry registry;  // outlives the app
  ar::health health;

  ar::rate_limit api_limit{{.policies = {{.name = "per-second", .requests = 10, .per = 1s, .burst = 20}}}};
  auto routes = ar::routes(ar::get<"/api/hello/{name}">([](ar::request& req, std::string_view name) {
                             return hello_reply{"Hello, " + std::string(name) + "!",
                                                std::string(req.context().get<ar::request_id>().value())};
                           }).use(api_limit),
                           ar::metrics_route<"/metrics">(registry), ar::health_routes(health));

  // Metrics first, so that their durations cover the rest; the request id before the log and
  // the spans, which write it.
  ar::app app{routes, ar::request_metrics{registry}, ar::request_ids{}, operations..., ar::access_log{}};
  ar::observe_server(registry, app);
  app.attach(health);

  ar::server_settings settings;
  settings.port = port;
  settings.timeouts.readiness_grace = grace;
  port = app.listen(settings);
  std::printf("service: listening on http://127.0.0.1:%u\n", static_cast<unsigned>(port));
  std::fflush(stdout);
  app.run();  // SIGTERM: not ready at once, served for the grace, then drained
  return 0;
}

}  // namespace

int main() {
  const auto port = number_from_environment("PORT", 8080);
  const auto grace = number_from_environment("READINESS_GRACE_MS", 0);
  if (!port || *port > 65535 || !grace) return 2;
  const auto listen_port = static_cast<std::uint16_t>(*port);
  const std::chrono::milliseconds readiness_grace(*grace);
  if (std::getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != nullptr) {
    return serve(listen_port, readiness_grace, ar::tracing{});
  }
  return serve(listen_port, readiness_grace);
}
