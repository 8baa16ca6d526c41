// The hub in a real server: an app on two threads, one streamed response per subscriber, messages
// published from a POST route, clients on both threads; the hub attached to the app, so a
// graceful stop ends every stream with its last chunk.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/jobs_helpers.hpp>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>
#include <support/wait_until.hpp>

#include <asio/this_coro.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace ar = asyncrest;
using ar::testing::app_runner;
using ar::testing::raw_client;
using ar::testing::wait_until;

namespace {

/// Reads the response head (which must be a chunked 200) of a stream.
void read_stream_head(raw_client& client) {
  std::string line = client.read_line();
  REQUIRE(line.rfind("HTTP/1.1 200", 0) == 0);
  bool chunked = false;
  while ((line = client.read_line()) != "\r\n") {
    if (line.find("Transfer-Encoding: chunked") != std::string::npos) chunked = true;
  }
  REQUIRE(chunked);
}

/// One chunk's data; empty for the last chunk.
std::string read_chunk(raw_client& client) {
  const std::string size_line = client.read_line();
  const std::size_t size = std::stoul(size_line, nullptr, 16);
  std::string data = client.read_exactly(size + 2);
  REQUIRE(data.substr(size) == "\r\n");
  data.resize(size);
  if (size == 0) REQUIRE(data.empty());
  return data;
}

}  // namespace

TEST_CASE("hub in an app: streams on both threads get every message published by a POST route") {
  ar::hub<> rooms{{.queue_capacity = 64, .when_full = ar::overflow_policy::drop_subscriber}};
  ar::app app{ar::routes(ar::get<"/rooms/{room}">([&rooms](std::string room) {
                           return ar::stream(
                               [&rooms, room = std::move(room)](ar::body_writer& out) -> ar::task<void> {
                                 // Subscribed on the connection's own thread, before the client is told it is.
                                 auto subscription = rooms.subscribe(room, co_await asio::this_coro::executor);
                                 const auto thread = std::hash<std::thread::id>{}(std::this_thread::get_id());
                                 co_await out.write("subscribed " + std::to_string(thread) + "\n");
                                 while (auto message = co_await subscription.next())
                                   co_await out.write(*message + "\n");
                               },
                               "text/plain");
                         }),
                         ar::post<"/rooms/{room}">([&rooms](ar::request& req, std::string room) {
                           rooms.publish(room, std::string(req.body()));
                           return ar::empty();
                         }))};
  app.attach(rooms);  // the drain closes the hub, which ends the streams
  ar::server_settings settings = ar::testing::test_settings();
  settings.threads = 2;
  app_runner server{app, settings};

  // The kernel spreads connections over the threads by their addresses: connect until both
  // threads hold some.
  std::vector<std::unique_ptr<raw_client>> listeners;
  std::set<std::string> threads;
  while (threads.size() < 2 && listeners.size() < 200) {
    auto client = std::make_unique<raw_client>(server.port());
    REQUIRE(client->send("GET /rooms/lobby HTTP/1.1\r\nHost: test\r\n\r\n"));
    read_stream_head(*client);
    const std::string greeting = read_chunk(*client);
    REQUIRE(greeting.rfind("subscribed ", 0) == 0);
    threads.insert(greeting);
    listeners.push_back(std::move(client));
  }
  REQUIRE(threads.size() == 2);
  CHECK(rooms.subscribers("lobby") == listeners.size());

  // A listener of another room hears nothing of the lobby.
  raw_client elsewhere(server.port());
  REQUIRE(elsewhere.send("GET /rooms/kitchen HTTP/1.1\r\nHost: test\r\n\r\n"));
  read_stream_head(elsewhere);
  REQUIRE(read_chunk(elsewhere).rfind("subscribed ", 0) == 0);

  raw_client publisher(server.port());
  std::vector<std::string> published;
  for (int number = 0; number < 20; ++number) {
    published.push_back(R"({"from":"ada","text":"message )" + std::to_string(number) + R"("})");
    REQUIRE(publisher.send("POST /rooms/lobby HTTP/1.1\r\nHost: test\r\nContent-Length: " +
                           std::to_string(published.back().size()) + "\r\n\r\n" + published.back()));
    CHECK(publisher.read_response().status == 204);
  }
  for (auto& listener : listeners) {
    for (const std::string& message : published) CHECK(read_chunk(*listener) == message + "\n");
  }

  // The graceful stop closes the hub: every stream ends with its last chunk, well before the
  // drain deadline would have cut it.
  server.stop();
  for (auto& listener : listeners) CHECK(read_chunk(*listener).empty());
  CHECK(read_chunk(elsewhere).empty());
  CHECK(rooms.is_closed());
  const ar::hub_statistics counts = rooms.statistics();
  CHECK(counts.published == 20);
  CHECK(counts.delivered == 20 * listeners.size());
  CHECK(counts.subscribers == 0);
}
