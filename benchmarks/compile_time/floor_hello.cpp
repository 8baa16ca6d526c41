// The compile-time floor: the hello example's four routes written directly on the same
// dependencies (Asio coroutines, llhttp, simdjson) with no framework. It parses requests,
// keeps connections alive and answers like the example, so the ratio of the example's compile
// time to this file's is what the framework costs.
#include <llhttp.h>

#include <simdjson.h>
#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/signal_set.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using asio::ip::tcp;

struct parsed_request {
  std::string url;
  std::string body;
  bool complete = false;
};

int on_url(llhttp_t* parser, const char* at, std::size_t length) {
  static_cast<parsed_request*>(parser->data)->url.append(at, length);
  return 0;
}
int on_body(llhttp_t* parser, const char* at, std::size_t length) {
  static_cast<parsed_request*>(parser->data)->body.append(at, length);
  return 0;
}
int on_message_complete(llhttp_t* parser) {
  static_cast<parsed_request*>(parser->data)->complete = true;
  return HPE_PAUSED;
}

std::string reply(int status, std::string_view content_type, std::string_view body) {
  std::string text = "HTTP/1.1 " + std::to_string(status) + (status == 200 ? " OK" : " Error") +
                     "\r\nContent-Type: " + std::string(content_type) +
                     "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  text.append(body);
  return text;
}

std::string route(llhttp_method_t method, const parsed_request& request, simdjson::dom::parser& json) {
  std::string_view path = request.url;
  if (method == HTTP_GET && path == "/") return reply(200, "text/plain", "Hello, World!");
  if (method == HTTP_GET && path == "/json") return reply(200, "application/json", R"({"message":"Hello World"})");
  if (method == HTTP_GET && path.starts_with("/users/")) {
    std::string_view digits = path.substr(7);
    long long id = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (error != std::errc{} || end != digits.data() + digits.size()) return reply(404, "text/plain", "not found");
    return reply(200, "application/json", R"({"id":)" + std::to_string(id) + R"(,"name":"Ada"})");
  }
  if (method == HTTP_POST && path == "/greet") {
    std::string_view name;
    if (json.parse(request.body).get_object()["name"].get_string().get(name) != simdjson::SUCCESS) {
      return reply(400, "text/plain", "bad body");
    }
    return reply(201, "application/json", R"({"greeting":"Hello, )" + std::string(name) + R"(!"})");
  }
  return reply(404, "text/plain", "not found");
}

asio::awaitable<void> serve(tcp::socket socket) {
  llhttp_settings_t settings;
  llhttp_settings_init(&settings);
  settings.on_url = on_url;
  settings.on_body = on_body;
  settings.on_message_complete = on_message_complete;
  llhttp_t parser;
  llhttp_init(&parser, HTTP_REQUEST, &settings);
  simdjson::dom::parser json;
  std::array<char, 8192> buffer;
  parsed_request request;
  parser.data = &request;
  for (;;) {
    asio::error_code error;
    std::size_t count =
        co_await socket.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return;
    const char* at = buffer.data();
    const char* end = at + count;
    while (at < end) {
      llhttp_errno_t status = llhttp_execute(&parser, at, static_cast<std::size_t>(end - at));
      if (status == HPE_PAUSED) {
        at = llhttp_get_error_pos(&parser);
        std::string answer = route(static_cast<llhttp_method_t>(parser.method), request, json);
        co_await asio::async_write(socket, asio::buffer(answer), asio::redirect_error(asio::use_awaitable, error));
        if (error || !llhttp_should_keep_alive(&parser)) co_return;
        request = {};
        llhttp_resume(&parser);
      } else if (status != HPE_OK) {
        co_return;
      } else {
        at = end;
      }
    }
  }
}

asio::awaitable<void> listen(tcp::acceptor& acceptor) {
  for (;;) {
    asio::error_code error;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return;
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
  }
}

}  // namespace

int main() {
  const char* port_text = std::getenv("PORT");
  auto port = static_cast<unsigned short>(port_text ? std::atoi(port_text) : 8080);
  asio::io_context context(1);
  tcp::acceptor acceptor(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::printf("floor: listening on http://127.0.0.1:%u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
  std::fflush(stdout);
  asio::signal_set signals(context, SIGINT, SIGTERM);
  signals.async_wait([&](const asio::error_code&, int) { context.stop(); });
  asio::co_spawn(context, listen(acceptor), asio::detached);
  context.run();
}
