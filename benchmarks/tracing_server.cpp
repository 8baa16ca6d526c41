// The plaintext scenario with and without tracing, for the CPU figures of benchmarks/README.md's
// "Tracing" section (measured by benchmarks/tracing_cpu.sh):
//
//   tracing_server PORT plain       an app without tracing (as benchmark_server's /plaintext)
//   tracing_server PORT sampled     with tracing, every request sampled, spans posted to
//                                   COLLECTOR_URL (default: a port where nothing listens)
//   tracing_server PORT unsampled   with tracing, no request sampled (root_sample_ratio 0)
//
// Built against headers without tracing, only `plain` exists: the before/after comparison.
#include <asyncrest/server.hpp>
#if __has_include(<asyncrest/server/tracing.hpp>)
#include <asyncrest/server/tracing.hpp>
#define TRACING_SERVER_HAS_TRACING 1
#endif

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace ar = asyncrest;

namespace {

auto plaintext_routes() {
  return ar::routes(ar::get<"/plaintext">([](ar::request&) { return ar::text("Hello, World!"); }));
}

template <class App>
int serve(App& app, std::uint16_t port) {
  ar::server_settings settings;
  settings.port = port;
  settings.threads = 1;
  settings.host = "127.0.0.1";
  std::printf("listening on port %u\n", static_cast<unsigned>(app.listen(settings)));
  std::fflush(stdout);
  app.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: tracing_server PORT plain|sampled|unsampled\n");
    return 2;
  }
  const auto port = static_cast<std::uint16_t>(std::atoi(argv[1]));
  const std::string_view mode = argv[2];
  if (mode == "plain") {
    ar::app app{plaintext_routes()};
    return serve(app, port);
  }
#if defined(TRACING_SERVER_HAS_TRACING)
  if (mode == "sampled" || mode == "unsampled") {
    const char* collector = std::getenv("COLLECTOR_URL");
    ar::tracing_settings settings;
    settings.endpoint = collector != nullptr ? collector : "http://127.0.0.1:9/v1/traces";
    settings.service_name = "tracing_server";
    settings.root_sample_ratio = mode == "sampled" ? 1.0 : 0.0;
    const ar::tracing traced{settings};  // copies share the exporter: this one reads its counts
    ar::app app{plaintext_routes(), traced};
    const int result = serve(app, port);
    const ar::tracing_statistics statistics = traced.statistics();
    std::printf("exported %llu dropped %llu failed batches %llu\n",
                static_cast<unsigned long long>(statistics.exported),
                static_cast<unsigned long long>(statistics.dropped),
                static_cast<unsigned long long>(statistics.failed_batches));
    return result;
  }
#endif
  std::fprintf(stderr, "tracing_server: unknown mode %s\n", argv[2]);
  return 2;
}
