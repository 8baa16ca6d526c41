// Boost.Beast: an async server on Boost.Asio coroutines, one thread, keep-alive, one request read
// and one response written at a time (Beast's own loop). Beast has no router and no JSON writer:
// /plaintext and /json answer fixed bodies, anything else 404.
//   peer_beast [port]        port 0: the kernel picks one; the port is printed
#include "http_date.hpp"

#include <utility>  // before Boost 1.74's awaitable.hpp, which uses std::exchange without it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>

namespace net = boost::asio;
namespace http = boost::beast::http;

namespace {

http::response<http::string_body> answer(const http::request<http::string_body>& request) {
  http::response<http::string_body> response{http::status::ok, request.version()};
  const std::string_view date = peers::http_date();
  response.set(http::field::date, boost::beast::string_view(date.data(), date.size()));
  if (request.target() == "/plaintext") {
    response.set(http::field::content_type, "text/plain");
    response.body() = "Hello, World!";
  } else if (request.target() == "/json") {
    response.set(http::field::content_type, "application/json");
    response.body() = R"({"message":"Hello, World!"})";
  } else {
    response.result(http::status::not_found);
  }
  response.keep_alive(request.keep_alive());
  response.prepare_payload();
  return response;
}

net::awaitable<void> serve(net::ip::tcp::socket socket) {
  boost::beast::flat_buffer buffer;
  try {
    for (;;) {
      http::request<http::string_body> request;
      co_await http::async_read(socket, buffer, request, net::use_awaitable);
      const auto response = answer(request);
      co_await http::async_write(socket, response, net::use_awaitable);
      if (!response.keep_alive()) break;
    }
  } catch (const std::exception&) {
    // the client closed the connection
  }
  boost::system::error_code ignored;
  socket.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
}

net::awaitable<void> accept(net::ip::tcp::acceptor& acceptor) {
  for (;;) {
    net::ip::tcp::socket socket = co_await acceptor.async_accept(net::use_awaitable);
    socket.set_option(net::ip::tcp::no_delay(true));
    net::co_spawn(acceptor.get_executor(), serve(std::move(socket)), net::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const auto port = static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 8080);
  net::io_context context(1);
  net::ip::tcp::acceptor acceptor(context, {net::ip::make_address("127.0.0.1"), port});
  std::printf("listening on port %u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
  std::fflush(stdout);
  net::co_spawn(context, accept(acceptor), net::detached);
  context.run();
}
