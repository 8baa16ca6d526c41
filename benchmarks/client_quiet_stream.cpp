// A client following an event stream that stays quiet, for counting how often the client wakes
// while nothing arrives (run it under `strace -c -e trace=epoll_wait,timerfd_settime`):
//
//     python3 benchmarks/quiet_event_stream.py 5 &     # prints its port; quiet for 5 s per stream
//     strace -f -c -e trace=epoll_wait,timerfd_settime build/benchmarks/client_quiet_stream http://127.0.0.1:PORT/
#include <asyncrest/client.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <cstdio>
#include <string>

namespace ar = asyncrest;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: client_quiet_stream URL\n");
    return 2;
  }
  asio::io_context io;
  ar::client http{io.get_executor()};
  const std::string url = argv[1];
  asio::co_spawn(
      io,
      [&]() -> ar::task<void> {
        ar::event_source source = http.events(url);
        if (auto event = co_await source.next()) std::printf("received: %s\n", event->data.c_str());
        source.close();
      },
      asio::detached);
  io.run();
}
