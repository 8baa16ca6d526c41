// The asyncrest server the load benchmarks run against. Scenarios:
//   GET  /plaintext                          "Hello, World!" as text/plain
//   GET  /limited/plaintext                  as /plaintext, behind a rate limit (a route's) that
//                                            never refuses: the cost of its buckets and fields
//   GET  /shed/plaintext                     as /plaintext, behind load shedding (a route's, with
//                                            both limits) that never refuses
//   GET  /json                               {"message":"Hello, World!"}, serialized per request
//   GET  /repos/{owner}/{repo}/issues/{n}    one of 200 routes (github_routes.txt); the body is
//                                            the path parameters joined by '/'
//   POST /echo                               a JSON body parsed and written back
//   POST /echo/typed                         the same body read into a struct (echo_issue.hpp)
//                                            and written back from it
//   GET  /file                               the file given with --file, by file() (sendfile on
//                                            plain TCP); 404 without --file
//   GET  /static/...                         the folder given with --static, by static_files()
//                                            (an empty folder of its own without --static)
//   GET  /stream                             1,000 pieces of 64 bytes written by stream(), chunked
//   GET  /ws                                 a WebSocket that echoes each message (with OpenSSL)
//   GET  /fanout/ws                          a WebSocket subscribed to the hub's one topic: each
//                                            message published is sent to it (with OpenSSL)
//   GET  /fanout/events                      an event stream subscribed to the same topic
//   POST /fanout/publish                     publishes the body to the topic's subscribers
//   GET  /fanout/stats                       "subscribers S rss R heap H": the hub's open
//                                            subscriptions, the process's VmRSS and heap in use
//                                            (glibc's mallinfo2), in bytes; the fan-out benchmark
//                                            reads it (websocket/fanout.cpp)
//
//   benchmark_server [port] [threads] [--file PATH] [--static FOLDER] [--tls CERTIFICATE KEY]
//     port 0: the kernel picks one; the port is printed. --tls: HTTPS only, with the PEM
//     certificate chain and its key (needs a build with OpenSSL).
#include "echo_issue.hpp"
#include "github_routes.hpp"

#include <asyncrest/server.hpp>

#include <asio/this_coro.hpp>

#include <sys/resource.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ar = asyncrest;

namespace {

// 63 characters and a newline: a stream of 1,000 of them is 64,000 bytes of body.
constexpr std::string_view stream_piece = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_\n";
static_assert(stream_piece.size() == 64);
constexpr int stream_pieces = 1000;

// What the fan-out topic carries: the published body, and the same bytes as a WebSocket text
// frame, encoded once for every subscriber.
struct fanout_message {
  explicit fanout_message(std::string body)
      : data(std::move(body))
#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
        ,
        frame(ar::websocket_frame::text(data))
#endif
  {
  }
  std::string data;
#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
  ar::websocket_frame frame;
#endif
};

constexpr std::string_view fanout_topic = "fanout";

std::size_t resident_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  }
  return 0;
}

std::size_t heap_in_use() {
#if defined(__GLIBC__)
  return mallinfo2().uordblks;
#else
  return 0;
#endif
}

// 10,000 subscribers need as many descriptors: the soft limit is raised to the hard one.
void raise_descriptor_limit() {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: benchmark_server [port] [threads] [--file PATH] [--static FOLDER] [--tls CERTIFICATE KEY]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> positional;
  std::string file_path;
  std::string static_folder;
  ar::server_tls_settings tls;
  for (int index = 1; index < argc; ++index) {
    const std::string_view argument = argv[index];
    if (argument == "--file") {
      if (index + 1 >= argc) usage();
      file_path = argv[++index];
    } else if (argument == "--static") {
      if (index + 1 >= argc) usage();
      static_folder = argv[++index];
    } else if (argument == "--tls") {
      if (index + 2 >= argc) usage();
      tls.certificate_chain_file = argv[++index];
      tls.private_key_file = argv[++index];
    } else if (argument.starts_with("--")) {
      usage();
    } else {
      positional.push_back(argument);
    }
  }
  const auto port = static_cast<std::uint16_t>(positional.size() > 0 ? std::atoi(positional[0].data()) : 8080);
  const auto threads = static_cast<unsigned>(positional.size() > 1 ? std::atoi(positional[1].data()) : 1);
  raise_descriptor_limit();
  // Without --static, the mount serves an empty folder of its own, removed at exit.
  std::string empty_folder;
  if (static_folder.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "benchmark-static-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("benchmark_server: mkdtemp");
      return 1;
    }
    static_folder = empty_folder = pattern;
  }

  ar::hub<fanout_message> fanout;
#if defined(ASYNCREST_BENCHMARK_METRICS)
  ar::metrics_registry registry;  // benchmark_server_metrics: every request measured, GET /metrics
#endif

  ar::app app {
    benchmark_routes::github_routes(
#if defined(ASYNCREST_BENCHMARK_METRICS)
        ar::metrics_route<"/metrics">(registry),
#endif
        ar::get<"/plaintext">([](ar::request&) { return ar::text("Hello, World!"); }),
        ar::get<"/limited/plaintext">([](ar::request&) { return ar::text("Hello, World!"); })
            .use(ar::rate_limit{
                {.policies = {{.name = "benchmark", .requests = 1'000'000'000, .per = std::chrono::seconds(1)}}}}),
        ar::get<"/shed/plaintext">([](ar::request&) {
          return ar::text("Hello, World!");
        }).use(ar::load_shedding{{.max_in_flight = 1'000'000, .max_queue_time = std::chrono::seconds(10)}}),
        ar::get<"/json">([](ar::request&) {
          return ar::json({{"message", "Hello, World!"}});
        }),
        ar::post<"/echo">([](ar::request& req) { return ar::json(req.json()); }),
        ar::post<"/echo/typed">(
            [](ar::request& req) { return ar::json_response(ar::read_json_body<benchmark_issue::issue>(req)); }),
        ar::get<"/file">([file_path](ar::request&) {
          if (file_path.empty()) throw ar::http_error(ar::status::not_found, "no --file given");
          return ar::file(file_path, "application/octet-stream");
        }),
        ar::static_files<"/static">(static_folder), ar::get<"/stream">([](ar::request&) {
          return ar::stream(
              [](ar::body_writer& out) -> ar::task<void> {
                for (int piece = 0; piece < stream_pieces; ++piece) co_await out.write(stream_piece);
              },
              "text/plain");
        }),
        ar::get<"/fanout/events">([&fanout](ar::request&) {
          return ar::event_stream([&fanout](ar::event_sink& events) -> ar::task<void> {
            auto subscription = fanout.subscribe(std::string(fanout_topic), co_await asio::this_coro::executor);
            while (auto message = co_await subscription.next()) co_await events.send({.data = message->data});
          });
        }),
        ar::post<"/fanout/publish">([&fanout](ar::request& req) {
          fanout.publish(std::string(fanout_topic), std::make_shared<const fanout_message>(std::string(req.body())));
          return ar::empty(ar::status::no_content);
        }),
        ar::get<"/fanout/stats">([&fanout](ar::request&) {
          return ar::text("subscribers " + std::to_string(fanout.statistics().subscribers) + " rss " +
                          std::to_string(resident_bytes()) + " heap " + std::to_string(heap_in_use()));
        })
#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
            ,
        ar::websocket<"/ws">([](ar::websocket_connection& socket) -> ar::task<void> {
          for (;;) {
            const ar::websocket_message message = co_await socket.receive();
            if (message.closed()) break;
            if (message.is_text() ? !co_await socket.send_text(message.data)
                                  : !co_await socket.send_binary(message.data))
              break;
          }
        }),
        // As a chat member's: the topic's messages relayed to the client while the handler
        // reads it (its close, its pings).
        ar::websocket<"/fanout/ws">([&fanout](ar::websocket_connection& socket) -> ar::task<void> {
          auto subscription = fanout.subscribe(std::string(fanout_topic), socket.get_executor());
          ar::relay(subscription, socket,
                    [](const fanout_message& message) -> const ar::websocket_frame& { return message.frame; });
          while (!(co_await socket.receive()).closed()) {
          }
        })
#endif
            )
#if defined(ASYNCREST_BENCHMARK_METRICS)
        ,
        ar::request_metrics(registry)
#endif
  };
#if defined(ASYNCREST_BENCHMARK_METRICS)
  ar::observe_server(registry, app);
#endif
  std::uint16_t listening = 0;
  try {
    listening =
        app.listen({.host = "127.0.0.1", .port = port, .threads = threads, .max_connections = 50000, .tls = tls});
  } catch (const std::exception& error) {
    std::fprintf(stderr, "benchmark_server: %s\n", error.what());
    return 1;
  }
  std::printf("listening on port %u%s\n", static_cast<unsigned>(listening), tls.enabled() ? " (https)" : "");
  std::fflush(stdout);
  app.attach(fanout);
  app.run();
  if (!empty_folder.empty()) ::rmdir(empty_folder.c_str());
}
