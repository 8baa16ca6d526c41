// The floor: what the same dependencies (Asio coroutines and llhttp) cost with no framework. One
// thread, one coroutine per connection, a fixed response per path, every response to one read's
// requests gathered into one write. asyncrest's overhead is its ratio to this.
//   peer_floor [port]        port 0: the kernel picks one; the port is printed
#include "http_date.hpp"

#include <llhttp.h>
#include <asio/buffer.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

struct exchange {
  std::string target;
  std::string out;
  bool close = false;  // a request asked for Connection: close (or was HTTP/1.0 without keep-alive)
};

void append_response(std::string& out, std::string_view target) {
  std::string_view type = "text/plain";
  std::string_view body = "Hello, World!";
  std::string_view status = "200 OK";
  if (target == "/json") {
    type = "application/json";
    body = R"({"message":"Hello, World!"})";
  } else if (target != "/plaintext") {
    status = "404 Not Found";
    body = "";
  }
  out.append("HTTP/1.1 ").append(status).append("\r\nDate: ").append(peers::http_date());
  out.append("\r\nContent-Length: ").append(std::to_string(body.size()));
  out.append("\r\nContent-Type: ").append(type).append("\r\n\r\n").append(body);
}

const llhttp_settings_t& callbacks() {
  static const llhttp_settings_t table = [] {
    llhttp_settings_t settings;
    llhttp_settings_init(&settings);
    settings.on_message_begin = [](llhttp_t* parser) {
      static_cast<exchange*>(parser->data)->target.clear();
      return 0;
    };
    settings.on_url = [](llhttp_t* parser, const char* at, std::size_t length) {
      static_cast<exchange*>(parser->data)->target.append(at, length);
      return 0;
    };
    settings.on_message_complete = [](llhttp_t* parser) -> int {
      auto* current = static_cast<exchange*>(parser->data);
      append_response(current->out, current->target);
      if (llhttp_should_keep_alive(parser) == 0) {
        current->close = true;
        return HPE_PAUSED;  // nothing after it is read as a request
      }
      return 0;
    };
    return settings;
  }();
  return table;
}

asio::awaitable<void> serve(asio::ip::tcp::socket socket) {
  exchange current;
  llhttp_t parser;
  llhttp_init(&parser, HTTP_REQUEST, &callbacks());
  parser.data = &current;
  std::array<char, 8192> buffer;
  try {
    for (;;) {
      const std::size_t received = co_await socket.async_read_some(asio::buffer(buffer), asio::use_awaitable);
      const llhttp_errno_t result = llhttp_execute(&parser, buffer.data(), received);
      if (result != HPE_OK && !current.close) co_return;
      if (!current.out.empty()) {
        co_await asio::async_write(socket, asio::buffer(current.out), asio::use_awaitable);
        current.out.clear();
      }
      if (current.close) {
        socket.shutdown(asio::ip::tcp::socket::shutdown_send);
        co_return;
      }
    }
  } catch (const std::exception&) {
    // the client closed the connection
  }
}

asio::awaitable<void> accept(asio::ip::tcp::acceptor& acceptor) {
  for (;;) {
    asio::ip::tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
    socket.set_option(asio::ip::tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const auto port = static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 8080);
  asio::io_context context(1);
  asio::ip::tcp::acceptor acceptor(context, {asio::ip::make_address("127.0.0.1"), port});
  std::printf("listening on port %u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
  std::fflush(stdout);
  asio::co_spawn(context, accept(acceptor), asio::detached);
  context.run();
}
