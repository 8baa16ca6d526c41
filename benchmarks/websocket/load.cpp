// A WebSocket load generator for the echo benchmark: CONNECTIONS clients, each sending one
// binary message of SIZE bytes and waiting for its echo before the next, for SECONDS. It speaks
// the protocol with plain Asio, the same bytes to every server, so that the servers, not client
// libraries, are compared.
//   websocket_load PORT CONNECTIONS SIZE SECONDS [PATH]
// prints "messages <echoed> seconds <elapsed> errors <failed connections>"
#include <asio/buffer.hpp>
#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using asio::ip::tcp;

struct totals {
  std::uint64_t messages = 0;
  std::uint64_t errors = 0;
  bool running = true;
};

// A masked binary frame of `size` bytes. The key is fixed: masking must be done, not be random,
// for a load test, and the server unmasks whatever it is.
std::string masked_frame(std::size_t size) {
  std::string frame;
  frame.push_back(static_cast<char>(0x82));
  if (size < 126) {
    frame.push_back(static_cast<char>(0x80 | size));
  } else if (size < 65536) {
    frame.push_back(static_cast<char>(0x80 | 126));
    frame.push_back(static_cast<char>(size >> 8));
    frame.push_back(static_cast<char>(size & 0xff));
  } else {
    frame.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) frame.push_back(static_cast<char>((size >> shift) & 0xff));
  }
  const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
  frame.append(reinterpret_cast<const char*>(key), 4);
  for (std::size_t index = 0; index < size; ++index) {
    frame.push_back(static_cast<char>(static_cast<unsigned char>('a' + index % 26) ^ key[index % 4]));
  }
  return frame;
}

// Reads `count` bytes into `into`: first what the handshake's read took past the head.
asio::awaitable<void> read_exactly(tcp::socket& socket, std::string& pending, void* into, std::size_t count) {
  const std::size_t taken = std::min(pending.size(), count);
  std::memcpy(into, pending.data(), taken);
  pending.erase(0, taken);
  if (taken < count) {
    co_await asio::async_read(socket, asio::buffer(static_cast<char*>(into) + taken, count - taken),
                              asio::use_awaitable);
  }
}

asio::awaitable<void> client(tcp::endpoint server, std::string path, std::size_t size, totals& counts) {
  try {
    tcp::socket socket(co_await asio::this_coro::executor);
    co_await socket.async_connect(server, asio::use_awaitable);
    socket.set_option(tcp::no_delay(true));
    const std::string handshake = "GET " + path +
                                  " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    co_await asio::async_write(socket, asio::buffer(handshake), asio::use_awaitable);
    asio::streambuf head;
    const std::size_t head_size = co_await asio::async_read_until(socket, head, "\r\n\r\n", asio::use_awaitable);
    std::string status(asio::buffers_begin(head.data()), asio::buffers_begin(head.data()) + 12);
    if (status != "HTTP/1.1 101") throw std::runtime_error("handshake refused: " + status);
    head.consume(head_size);
    const std::string frame = masked_frame(size);
    std::vector<unsigned char> payload(std::max<std::size_t>(size, 1));
    unsigned char frame_head[10];
    std::string pending(asio::buffers_begin(head.data()), asio::buffers_end(head.data()));
    while (counts.running) {
      co_await asio::async_write(socket, asio::buffer(frame), asio::use_awaitable);
      // The echo, in one frame or several (a server may fragment): each frame is 2 bytes, the
      // extended length, then the payload, unmasked.
      std::uint64_t received = 0;
      bool final_frame = false;
      while (!final_frame) {
        co_await read_exactly(socket, pending, frame_head, 2);
        final_frame = (frame_head[0] & 0x80) != 0;
        std::uint64_t length = frame_head[1] & 0x7f;
        if (length >= 126) {
          const std::size_t extended = length == 126 ? 2 : 8;
          co_await read_exactly(socket, pending, frame_head + 2, extended);
          length = 0;
          for (std::size_t index = 0; index < extended; ++index) length = (length << 8) | frame_head[2 + index];
        }
        if ((frame_head[0] & 0x0f) > 0x2) throw std::runtime_error("unexpected control frame");
        while (length > 0) {
          const std::size_t part = static_cast<std::size_t>(std::min<std::uint64_t>(length, payload.size()));
          co_await read_exactly(socket, pending, payload.data(), part);
          length -= part;
          received += part;
        }
      }
      if (received != size) throw std::runtime_error("unexpected echo size");
      ++counts.messages;
    }
    socket.close();
  } catch (const std::exception& failure) {
    if (counts.running) {
      ++counts.errors;
      std::fprintf(stderr, "websocket_load: %s\n", failure.what());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: websocket_load PORT CONNECTIONS SIZE SECONDS [PATH]\n");
    return 2;
  }
  const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  const int connections = std::atoi(argv[2]);
  const auto size = static_cast<std::size_t>(std::atoll(argv[3]));
  const int seconds = std::atoi(argv[4]);
  const std::string path = argc > 5 ? argv[5] : "/";
  asio::io_context context(1);
  totals counts;
  const tcp::endpoint server(asio::ip::make_address("127.0.0.1"), port);
  for (int index = 0; index < connections; ++index)
    asio::co_spawn(context, client(server, path, size, counts), asio::detached);
  asio::steady_timer timer(context, std::chrono::seconds(seconds));
  const auto start = std::chrono::steady_clock::now();
  timer.async_wait([&](auto) {
    counts.running = false;
    context.stop();
  });
  context.run();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("messages %llu seconds %.3f errors %llu\n", static_cast<unsigned long long>(counts.messages), elapsed,
              static_cast<unsigned long long>(counts.errors));
}
