// A web page with its API, the starting template for a site served by the same process as the
// service it calls:
//
//     static_site DIR        # DIR served under /static/, a page at /, JSON at /api/time
//
// - `/static/...` is DIR, beneath its root only, with validators (304), ranges and the
//   precompressed `.br`/`.gz` siblings when DIR has them; cached for an hour, revalidated after.
// - `/` is an HTML page that links a stylesheet and a script from /static/ and calls the API.
// - `/api/time` is JSON. CORS lets the pages of the origins in ALLOWED_ORIGINS (comma-separated,
//   as browsers send them: "http://localhost:5173") call it from another site.
// - Responses are compressed (br or gzip) for the clients that accept it.
// - The port comes from PORT (default 8080); Ctrl-C drains the requests in flight.
#include <asyncrest/server.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ar = asyncrest;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view page = R"(<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>asyncrest static site</title>
  <link rel="stylesheet" href="/static/site.css">
</head>
<body>
  <h1>A page and its API</h1>
  <p>The server's time: <output id="time">…</output></p>
  <p>This page's stylesheet and script come from <a href="/static/">/static/</a>.</p>
  <script src="/static/site.js"></script>
</body>
</html>
)";

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return std::string(text, length);
}

std::vector<std::string> origins_from(const char* list) {
  std::vector<std::string> origins;
  if (list == nullptr) return origins;
  std::string_view rest = list;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view origin = rest.substr(0, comma);
    if (!origin.empty()) origins.emplace_back(origin);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return origins;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || !std::filesystem::is_directory(argv[1])) {
    std::fprintf(stderr, "usage: static_site DIR   (DIR: the folder served under /static/)\n");
    return 2;
  }
  std::uint16_t port = 8080;
  if (const char* text = std::getenv("PORT")) {
    auto [end, error] = std::from_chars(text, text + std::strlen(text), port);
    if (error != std::errc{} || *end != '\0') {
      std::fprintf(stderr, "static_site: PORT must be a number from 0 to 65535, not \"%s\"\n", text);
      return 2;
    }
  }

  try {
    auto routes = ar::routes(
        ar::get<"/">([](ar::request&) {
          ar::response answer = ar::text(std::string(page));
          answer.headers.set("Content-Type", "text/html; charset=utf-8");
          return answer;
        }),
        ar::get<"/api/time">([](ar::request&) {
          const auto seconds =
              std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
          ar::response answer = ar::json({{"utc", utc_now()}, {"unix", static_cast<std::int64_t>(seconds.count())}});
          answer.headers.set("Cache-Control", "no-store");
          return answer;
        }),
        ar::static_files<"/static">(argv[1], {.max_age = 1h, .precompressed = true}));

    // CORS answers preflights before routing, so it comes first; compression sees every answer.
    ar::app app{
        routes,
        ar::cors{{.allowed_origins = origins_from(std::getenv("ALLOWED_ORIGINS")), .allowed_methods = {"GET", "HEAD"}}},
        ar::compression{}};
    port = app.listen({.host = "127.0.0.1", .port = port});
    std::printf("static_site: serving %s on http://127.0.0.1:%u\n", argv[1], static_cast<unsigned>(port));
    std::fflush(stdout);
    app.run();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "static_site: %s\n", error.what());
    return 1;
  }
}
