// The fan-out benchmark's load: CONNECTIONS subscribers (WebSocket or Server-Sent Events) of the
// benchmark server's hub topic, then ROUNDS publishes of one message each, timed from just before
// the POST until each subscriber has read it. Plain Asio, one thread, so that the server is what
// is measured. The server's memory (VmRSS and heap in use, from its GET /fanout/stats) is read
// before the connections, once they are all subscribed and idle, and after the rounds.
//   fanout_load PORT CONNECTIONS ws|sse ROUNDS [SETTLE_MILLISECONDS]
// prints, each on a line:
//   memory before rss R heap H
//   memory idle rss R heap H subscribers S
//   round K last_us L median_us M
//   memory after rss R heap H
//   errors E
// A subscriber recognises a message by its text ("fanout-round-K."), found in the bytes it reads
// whatever their framing: the figure is when the bytes arrived, not when a client library
// would have decoded them.
#include <asio/buffer.hpp>
#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

using asio::ip::tcp;
using steady = std::chrono::steady_clock;
constexpr std::size_t openers = 128;  // connections being opened at once

struct memory {
  std::uint64_t subscribers = 0;
  std::uint64_t rss = 0;
  std::uint64_t heap = 0;
};

struct load_state {
  explicit load_state(asio::io_context& context, std::size_t connections)
      : all_arrived(context), arrivals(connections), rounds_seen(connections, 0) {}
  tcp::endpoint server;
  bool websocket = true;
  std::size_t opened = 0;
  std::size_t errors = 0;
  int round = 0;            // the message now expected
  std::string token;        // its text
  std::size_t arrived = 0;  // subscribers that have it
  asio::steady_timer all_arrived;
  std::vector<steady::time_point> arrivals;
  std::vector<int> rounds_seen;
  bool running = true;
};

asio::awaitable<void> sleep_for(steady::duration duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

// GET /fanout/stats on a connection of its own.
asio::awaitable<memory> read_stats(tcp::endpoint server) {
  tcp::socket socket(co_await asio::this_coro::executor);
  co_await socket.async_connect(server, asio::use_awaitable);
  const std::string_view request = "GET /fanout/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  co_await asio::async_write(socket, asio::buffer(request), asio::use_awaitable);
  std::string answer;
  asio::error_code ended;
  co_await asio::async_read(socket, asio::dynamic_buffer(answer), asio::redirect_error(asio::use_awaitable, ended));
  const std::size_t body = answer.find("\r\n\r\nsubscribers ");
  if (body == std::string::npos) throw std::runtime_error("unexpected stats answer: " + answer);
  memory result;
  if (std::sscanf(answer.c_str() + body + 4, "subscribers %lu rss %lu heap %lu", &result.subscribers, &result.rss,
                  &result.heap) != 3)
    throw std::runtime_error("unexpected stats answer: " + answer);
  co_return result;
}

// Looks for the expected message in what the subscriber has read, and records its arrival.
void notice(load_state& state, std::size_t index, std::string& seen, steady::time_point now) {
  if (state.rounds_seen[index] == state.round || state.token.empty()) return;
  const std::size_t found = seen.find(state.token);
  if (found == std::string::npos) {
    // Keep only what could still be the start of the token.
    if (seen.size() > state.token.size()) seen.erase(0, seen.size() - state.token.size());
    return;
  }
  seen.erase(0, found + state.token.size());
  state.rounds_seen[index] = state.round;
  state.arrivals[index] = now;
  if (++state.arrived == state.arrivals.size()) state.all_arrived.cancel();
}

asio::awaitable<void> subscriber(load_state& state, std::size_t index, tcp::socket socket, std::string seen) {
  try {
    std::array<char, 512> bytes{};
    notice(state, index, seen, steady::now());
    while (state.running) {
      const std::size_t received = co_await socket.async_read_some(asio::buffer(bytes), asio::use_awaitable);
      seen.append(bytes.data(), received);
      notice(state, index, seen, steady::now());
    }
  } catch (const std::exception& failure) {
    if (state.running) {
      ++state.errors;
      std::fprintf(stderr, "fanout_load: subscriber %zu: %s\n", index, failure.what());
    }
  }
}

// Opens subscribers first, first + openers, ... below `count`, one after the other.
asio::awaitable<void> opener(load_state& state, std::size_t first, std::size_t count) {
  for (std::size_t index = first; index < count; index += openers) {
    try {
      tcp::socket socket(co_await asio::this_coro::executor);
      co_await socket.async_connect(state.server, asio::use_awaitable);
      socket.set_option(tcp::no_delay(true));
      const std::string request =
          state.websocket
              ? "GET /fanout/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
              : "GET /fanout/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
      co_await asio::async_write(socket, asio::buffer(request), asio::use_awaitable);
      asio::streambuf head;
      const std::size_t head_size = co_await asio::async_read_until(socket, head, "\r\n\r\n", asio::use_awaitable);
      const std::string status(asio::buffers_begin(head.data()), asio::buffers_begin(head.data()) + 12);
      if (status != (state.websocket ? "HTTP/1.1 101" : "HTTP/1.1 200")) throw std::runtime_error("refused: " + status);
      head.consume(head_size);
      std::string rest(asio::buffers_begin(head.data()), asio::buffers_end(head.data()));
      ++state.opened;
      asio::co_spawn(socket.get_executor(), subscriber(state, index, std::move(socket), std::move(rest)),
                     asio::detached);
    } catch (const std::exception& failure) {
      ++state.errors;
      ++state.opened;
      std::fprintf(stderr, "fanout_load: opening subscriber %zu: %s\n", index, failure.what());
    }
  }
}

void print_memory(const char* when, const memory& measured) {
  std::printf("memory %s rss %llu heap %llu", when, static_cast<unsigned long long>(measured.rss),
              static_cast<unsigned long long>(measured.heap));
  if (std::string_view(when) == "idle")
    std::printf(" subscribers %llu", static_cast<unsigned long long>(measured.subscribers));
  std::printf("\n");
  std::fflush(stdout);
}

asio::awaitable<void> run(load_state& state, std::size_t connections, int rounds, int settle_ms) {
  const memory before = co_await read_stats(state.server);
  print_memory("before", before);
  auto executor = co_await asio::this_coro::executor;
  for (std::size_t first = 0; first < std::min(openers, connections); ++first)
    asio::co_spawn(executor, opener(state, first, connections), asio::detached);
  while (state.opened < connections) co_await sleep_for(std::chrono::milliseconds(20));
  // The subscription is made after the handshake's answer: wait until the server has them all.
  memory idle;
  const auto give_up = steady::now() + std::chrono::seconds(60);
  for (;;) {
    idle = co_await read_stats(state.server);
    if (idle.subscribers >= connections - state.errors) break;
    if (steady::now() > give_up) throw std::runtime_error("the server never had every subscriber");
    co_await sleep_for(std::chrono::milliseconds(50));
  }
  co_await sleep_for(std::chrono::milliseconds(settle_ms));
  idle = co_await read_stats(state.server);
  print_memory("idle", idle);

  tcp::socket publisher(executor);
  co_await publisher.async_connect(state.server, asio::use_awaitable);
  publisher.set_option(tcp::no_delay(true));
  std::string answer;
  for (int round = 1; round <= rounds; ++round) {
    state.round = round;
    state.token = "fanout-round-" + std::to_string(round) + ".";
    state.arrived = 0;
    state.all_arrived.expires_at(steady::time_point::max());
    const std::string request =
        "POST /fanout/publish HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + std::to_string(state.token.size()) +
        "\r\n\r\n" + state.token;
    const steady::time_point start = steady::now();
    co_await asio::async_write(publisher, asio::buffer(request), asio::use_awaitable);
    const std::size_t expected = connections - state.errors;
    if (state.arrived < expected) {
      asio::error_code woken;
      state.all_arrived.expires_after(std::chrono::seconds(30));
      co_await state.all_arrived.async_wait(asio::redirect_error(asio::use_awaitable, woken));
      if (!woken) throw std::runtime_error("round " + std::to_string(round) + ": not every subscriber had it");
    }
    answer.clear();
    co_await asio::async_read_until(publisher, asio::dynamic_buffer(answer), "\r\n\r\n", asio::use_awaitable);
    if (!answer.starts_with("HTTP/1.1 204")) throw std::runtime_error("publish refused: " + answer);
    std::vector<double> delays;
    delays.reserve(expected);
    for (std::size_t index = 0; index < connections; ++index) {
      if (state.rounds_seen[index] == round)
        delays.push_back(std::chrono::duration<double, std::micro>(state.arrivals[index] - start).count());
    }
    std::sort(delays.begin(), delays.end());
    std::printf("round %d last_us %.0f median_us %.0f\n", round, delays.back(), delays[delays.size() / 2]);
    std::fflush(stdout);
    co_await sleep_for(std::chrono::milliseconds(200));
  }
  co_await sleep_for(std::chrono::milliseconds(settle_ms));
  print_memory("after", co_await read_stats(state.server));
  state.running = false;
}

void raise_descriptor_limit() {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5 || (std::string_view(argv[3]) != "ws" && std::string_view(argv[3]) != "sse")) {
    std::fprintf(stderr, "usage: fanout_load PORT CONNECTIONS ws|sse ROUNDS [SETTLE_MILLISECONDS]\n");
    return 2;
  }
  raise_descriptor_limit();
  const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  const auto connections = static_cast<std::size_t>(std::atoll(argv[2]));
  const int rounds = std::atoi(argv[4]);
  const int settle_ms = argc > 5 ? std::atoi(argv[5]) : 1000;
  asio::io_context context(1);
  load_state state(context, connections);
  state.server = tcp::endpoint(asio::ip::make_address("127.0.0.1"), port);
  state.websocket = std::string_view(argv[3]) == "ws";
  int status = 0;
  asio::co_spawn(context, run(state, connections, rounds, settle_ms), [&](std::exception_ptr failure) {
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& error) {
        std::fprintf(stderr, "fanout_load: %s\n", error.what());
      }
      status = 1;
    }
    context.stop();
  });
  context.run();
  std::printf("errors %zu\n", state.errors);
  return status;
}
