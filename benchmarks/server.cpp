// The asyncrest server the load benchmarks run against. Scenarios:
//   GET  /plaintext                          "Hello, World!" as text/plain
//   GET  /json                               {"message":"Hello, World!"}, serialized per request
//   GET  /repos/{owner}/{repo}/issues/{n}    one of 200 routes (github_routes.txt); the body is
//                                            the path parameters joined by '/'
//   POST /echo                               a JSON body parsed and written back
//   GET  /file                               the file given with --file, by file() (sendfile on
//                                            plain TCP); 404 without --file
//   GET  /stream                             1,000 pieces of 64 bytes written by stream(), chunked
//   GET  /ws                                 a WebSocket that echoes each message (with OpenSSL)
//
//   benchmark_server [port] [threads] [--file PATH] [--tls CERTIFICATE KEY]
//     port 0: the kernel picks one; the port is printed. --tls: HTTPS only, with the PEM
//     certificate chain and its key (needs a build with OpenSSL).
#include "github_routes.hpp"

#include <asyncrest/server.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace ar = asyncrest;

namespace {

// 63 characters and a newline: a stream of 1,000 of them is 64,000 bytes of body.
constexpr std::string_view stream_piece = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_\n";
static_assert(stream_piece.size() == 64);
constexpr int stream_pieces = 1000;

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: benchmark_server [port] [threads] [--file PATH] [--tls CERTIFICATE KEY]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> positional;
  std::string file_path;
  ar::server_tls_settings tls;
  for (int index = 1; index < argc; ++index) {
    const std::string_view argument = argv[index];
    if (argument == "--file") {
      if (index + 1 >= argc) usage();
      file_path = argv[++index];
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

  ar::app app {
    benchmark_routes::github_routes(ar::get<"/plaintext">([](ar::request&) { return ar::text("Hello, World!"); }),
                                    ar::get<"/json">([](ar::request&) {
                                      return ar::json({{"message", "Hello, World!"}});
                                    }),
                                    ar::post<"/echo">([](ar::request& req) { return ar::json(req.json()); }),
                                    ar::get<"/file">([file_path](ar::request&) {
                                      if (file_path.empty())
                                        throw ar::http_error(ar::status::not_found, "no --file given");
                                      return ar::file(file_path, "application/octet-stream");
                                    }),
                                    ar::get<"/stream">([](ar::request&) {
                                      return ar::stream(
                                          [](ar::body_writer& out) -> ar::task<void> {
                                            for (int piece = 0; piece < stream_pieces; ++piece)
                                              co_await out.write(stream_piece);
                                          },
                                          "text/plain");
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
                                    })
#endif
    )
  };
  std::uint16_t listening = 0;
  try {
    listening = app.listen({.host = "127.0.0.1", .port = port, .threads = threads, .tls = tls});
  } catch (const std::exception& error) {
    std::fprintf(stderr, "benchmark_server: %s\n", error.what());
    return 1;
  }
  std::printf("listening on port %u%s\n", static_cast<unsigned>(listening), tls.enabled() ? " (https)" : "");
  std::fflush(stdout);
  app.run();
}
