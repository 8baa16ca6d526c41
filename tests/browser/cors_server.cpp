// Two servers for the CORS browser test: a page server and an API on another port, which allows
// the page server's origin (http://127.0.0.1:<page port>) with credentials and nothing else.
// The API sets a signed cookie at /login and reads it back at /me. Prints both base URLs, then
// serves until SIGTERM.
#include <asyncrest/asyncrest.hpp>

#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

namespace ar = asyncrest;

namespace {

constexpr std::string_view page = R"(<!doctype html>
<html><head><meta charset="utf-8"><title>CORS test page</title></head>
<body><p>The API is called from this page's script.</p></body></html>
)";

const ar::cookie_signer& signer() {
  static const ar::cookie_signer keys{{"a key for the browser test only, 32 bytes or more"}};
  return keys;
}

auto make_page_app() {
  return ar::app{ar::routes(ar::get<"/">([]() -> ar::response {
    ar::response res = ar::text(std::string(page));
    res.headers.set("Content-Type", "text/html; charset=utf-8");
    return res;
  }))};
}

auto make_api_app(const std::string& page_origin) {
  return ar::app{
      ar::routes(ar::post<"/login">([](ar::request& req) -> ar::response {
                   ar::response res = ar::json({{"logged_in", std::string(req.body())}});
                   signer().set_cookie(res, "user", std::string(req.body()));
                   return res;
                 }),
                 ar::get<"/me">([](ar::request& req) -> ar::response {
                   ar::response res = ar::json({{"user", signer().cookie(req, "user").value_or("<anonymous>")}});
                   res.headers.set("X-Request-Id", "browser-1");
                   return res;
                 }),
                 ar::put<"/items/{id:int}">([](ar::request& req, std::int64_t id) -> ar::response {
                   return ar::json({{"id", id}, {"trace", std::string(req.header("X-Trace").value_or(""))}});
                 })),
      ar::cors{{.allowed_origins = {page_origin},
                .allowed_methods = {"GET", "POST", "PUT"},
                .allowed_headers = {"X-Trace"},
                .exposed_headers = {"X-Request-Id"},
                .allow_credentials = true}}};
}

}  // namespace

int main() {
  ar::server_settings settings;
  settings.host = "127.0.0.1";
  settings.port = 0;
  settings.threads = 1;
  settings.handle_signals = false;

  auto page_app = make_page_app();
  const std::uint16_t page_port = page_app.listen(settings);
  auto api_app = make_api_app("http://127.0.0.1:" + std::to_string(page_port));
  const std::uint16_t api_port = api_app.listen(settings);

  // SIGTERM stops both: the main thread waits for it and stops the apps.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::thread page_thread([&] { page_app.run(); });
  std::thread api_thread([&] { api_app.run(); });
  std::printf("page on http://127.0.0.1:%u api on http://127.0.0.1:%u\n", page_port, api_port);
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  page_app.stop();
  api_app.stop();
  page_thread.join();
  api_thread.join();
}
