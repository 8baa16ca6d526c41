// Boost.Beast's websocket: an echo server on Boost.Asio coroutines, one thread. Each message is
// read whole and written back with the same type (text or binary); no compression.
//   peer_beast_websocket [port]        port 0: the kernel picks one; the port is printed
#include <utility>  // before Boost 1.74's awaitable.hpp, which uses std::exchange without it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>

namespace net = boost::asio;
namespace websocket = boost::beast::websocket;

namespace {

net::awaitable<void> echo(net::ip::tcp::socket socket) {
  try {
    websocket::stream<net::ip::tcp::socket> stream(std::move(socket));
    stream.set_option(websocket::stream_base::timeout::suggested(boost::beast::role_type::server));
    stream.read_message_max(64 * 1024 * 1024);
    stream.auto_fragment(false);  // each echo in one frame, as the other servers send it
    co_await stream.async_accept(net::use_awaitable);
    boost::beast::flat_buffer buffer;
    for (;;) {
      co_await stream.async_read(buffer, net::use_awaitable);
      stream.text(stream.got_text());
      co_await stream.async_write(buffer.data(), net::use_awaitable);
      buffer.consume(buffer.size());
    }
  } catch (const std::exception&) {
    // closed by the client, or failed: the connection ends either way
  }
}

net::awaitable<void> listen(net::ip::tcp::acceptor& acceptor) {
  for (;;) {
    net::ip::tcp::socket socket = co_await acceptor.async_accept(net::use_awaitable);
    socket.set_option(net::ip::tcp::no_delay(true));
    net::co_spawn(acceptor.get_executor(), echo(std::move(socket)), net::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const auto port = static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 0);
  net::io_context context(1);
  net::ip::tcp::acceptor acceptor(context, {net::ip::make_address("127.0.0.1"), port});
  std::printf("listening on port %u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
  std::fflush(stdout);
  net::signal_set signals(context, SIGINT, SIGTERM);
  signals.async_wait([&](auto, int) { context.stop(); });
  net::co_spawn(context, listen(acceptor), net::detached);
  context.run();
}
