// The fetch_many example: start a small service on a free port, then fetch several URLs from it
// at once (a fast route, a slow one, a failing one, JSON, a port where nothing listens) and print
// each result or error as it stands. One failure does not disturb the others.
#include <asyncrest/asyncrest.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace ar = asyncrest;
using namespace std::chrono_literals;

int main() {
  // The service being called, on its own thread.
  ar::app service{ar::routes(ar::get<"/fast">([](ar::request&) { return ar::text("fast answer"); }),
                             ar::get<"/slow">([](ar::request&) -> ar::task<ar::response> {
                               asio::steady_timer timer(co_await asio::this_coro::executor, 300ms);
                               co_await timer.async_wait(asio::use_awaitable);
                               co_return ar::text("slow answer");
                             }),
                             ar::get<"/fail">([](ar::request&) -> ar::response {
                               throw ar::http_error(ar::status::bad_gateway, "upstream down");
                             }),
                             ar::get<"/user">([](ar::request&) {
                               return ar::json({{"id", 7}, {"name", "Ada"}});
                             }))};
  const auto port = service.listen({.host = "127.0.0.1", .port = 0, .threads = 1, .handle_signals = false});
  std::thread serving([&service] { service.run(); });

  // A port nothing listens on: bound, then closed.
  std::uint16_t closed_port = 0;
  {
    asio::io_context scratch;
    closed_port = asio::ip::tcp::acceptor(scratch, {asio::ip::address_v4::loopback(), 0}).local_endpoint().port();
  }

  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  const std::vector<std::string> urls{base + "/fast", base + "/slow", base + "/fail", base + "/user",
                                      "http://127.0.0.1:" + std::to_string(closed_port) + "/"};

  asio::io_context io;
  ar::client http{io, {.timeouts = {.total = 5s}, .raise_for_status = true}};
  asio::co_spawn(
      io,
      [&]() -> ar::task<void> {
        // All at once, at most 4 in flight; results in the order of `urls`.
        auto results = co_await ar::bounded_map(urls, 4, [&](const std::string& url) { return http.get(url); });
        for (std::size_t index = 0; index < urls.size(); ++index) {
          if (results[index]) {
            std::printf("%-32s %u %s\n", urls[index].c_str(), ar::to_number(results[index]->status),
                        results[index]->body.c_str());
          } else {
            std::printf("%-32s error: %s\n", urls[index].c_str(), results[index].error_details().message.c_str());
          }
        }
      },
      [](std::exception_ptr error) {
        if (error) std::rethrow_exception(error);
      });
  io.run();

  service.stop();
  serving.join();
}
