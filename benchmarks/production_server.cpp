// The plaintext scenario with the production middleware, for the CPU figures of
// benchmarks/README.md's "Production features" and "Tracing" sections (measured by
// benchmarks/production_cpu.sh). Middleware are part of the app's type, so each configuration is
// its own binary, chosen when compiling with -DPRODUCTION_CONFIGURATION=N:
//
//   0  none               GET /plaintext and nothing else
//   1  rate_limit         a limit keyed by the client's address, too high to refuse: the bucket
//                         work is done and every request passes
//   2  metrics            request_metrics on every request, and the /metrics route
//   3  access_log         JSON lines, the default writer thread writing to standard output
//                         (the script sends it to /dev/null)
//   4  tracing            every request sampled, spans posted to COLLECTOR_URL (the script
//                         runs a sink there that answers 200)
//   5  all                the four above, in the order a service puts them
//   6  tracing_unsampled  tracing{} with no request sampled (root_sample_ratio 0)
//   7  all_sampled_10     the four, with one new trace in ten sampled (root_sample_ratio 0.1)
//
//   production_server PORT     prints "listening on port N", serves until SIGINT or SIGTERM
#include <asyncrest/server.hpp>
#include <asyncrest/server/tracing.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <tuple>

#ifndef PRODUCTION_CONFIGURATION
#error "compile with -DPRODUCTION_CONFIGURATION=N (0 none ... 7 all_sampled_10, see the top of this file)"
#endif

namespace ar = asyncrest;
using namespace std::chrono_literals;

namespace {

constexpr int configuration = PRODUCTION_CONFIGURATION;
constexpr bool all_four = configuration == 5 || configuration == 7;
constexpr bool with_rate_limit = configuration == 1 || all_four;
constexpr bool with_metrics = configuration == 2 || all_four;
constexpr bool with_access_log = configuration == 3 || all_four;
constexpr bool with_tracing = configuration == 4 || configuration == 6 || all_four;
static_assert(configuration >= 0 && configuration <= 7, "PRODUCTION_CONFIGURATION is a number from 0 to 7");

ar::tracing make_tracing() {
  const char* collector = std::getenv("COLLECTOR_URL");
  ar::tracing_settings settings;
  settings.endpoint = collector != nullptr ? collector : "http://127.0.0.1:9/v1/traces";
  settings.service_name = "production_server";
  settings.root_sample_ratio = configuration == 6 ? 0.0 : configuration == 7 ? 0.1 : 1.0;
  return ar::tracing{settings};
}

ar::rate_limit<> make_rate_limit() {
  // A billion a second: the bucket is found, refilled and charged, and never empty.
  return ar::rate_limit<>{{.policies = {{.name = "per-second", .requests = 1'000'000'000, .per = 1s}}}};
}

auto plaintext() {
  return ar::get<"/plaintext">([](ar::request&) { return ar::text("Hello, World!"); });
}

// The middleware of this configuration, in a service's order: metrics first (their durations
// cover the rest), then the rate limit, the spans, and the log (which writes the trace id).
template <class Routes>
int serve(Routes routes, ar::metrics_registry* registry, std::uint16_t port) {
  auto middleware = [&] {
    auto tracing_part = [] {
      if constexpr (with_tracing)
        return std::tuple{make_tracing()};
      else
        return std::tuple{};
    };
    auto metrics_part = [&] {
      if constexpr (with_metrics)
        return std::tuple{ar::request_metrics{*registry}};
      else
        return std::tuple{};
    };
    auto rate_limit_part = [] {
      if constexpr (with_rate_limit)
        return std::tuple{make_rate_limit()};
      else
        return std::tuple{};
    };
    auto access_log_part = [] {
      if constexpr (with_access_log)
        return std::tuple{ar::access_log{}};
      else
        return std::tuple{};
    };
    return std::tuple_cat(metrics_part(), rate_limit_part(), tracing_part(), access_log_part());
  }();
  std::apply(
      [&](auto&... operations) {
        ar::app app{routes, operations...};  // copies share the exporter and the log's writer
        ar::server_settings settings;
        settings.port = port;
        settings.threads = 1;
        settings.host = "127.0.0.1";
        std::fprintf(stderr, "listening on port %u\n", static_cast<unsigned>(app.listen(settings)));
        std::fflush(stderr);
        app.run();
      },
      middleware);
  // What left the process, so that a run whose spans or lines were dropped can be told apart.
  if constexpr (with_tracing) {
    std::get<ar::tracing>(middleware).flush();
    const ar::tracing_statistics statistics = std::get<ar::tracing>(middleware).statistics();
    std::fprintf(stderr, "spans exported %llu dropped %llu failed batches %llu\n",
                 static_cast<unsigned long long>(statistics.exported),
                 static_cast<unsigned long long>(statistics.dropped),
                 static_cast<unsigned long long>(statistics.failed_batches));
  }
  if constexpr (with_access_log) {
    std::get<ar::access_log<>>(middleware).flush();
    const ar::access_log_statistics statistics = std::get<ar::access_log<>>(middleware).statistics();
    std::fprintf(stderr, "log lines written %llu dropped %llu\n", static_cast<unsigned long long>(statistics.written),
                 static_cast<unsigned long long>(statistics.dropped));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: production_server PORT\n");
    return 2;
  }
  const auto port = static_cast<std::uint16_t>(std::atoi(argv[1]));
  ar::metrics_registry registry;  // outlives the app
  if constexpr (with_metrics) {
    return serve(ar::routes(plaintext(), ar::metrics_route<"/metrics">(registry)), &registry, port);
  } else {
    return serve(ar::routes(plaintext()), &registry, port);
  }
}
