// relay(subscription, socket): a topic's messages reach every member in order while the handler
// reads; a member that reads nothing falls behind and is closed with 1013 while the others go
// on; the hub's close (the drain) closes with 1001; a handler that returns ends its relay.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/jobs_helpers.hpp>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>
#include <support/wait_until.hpp>
#include <support/websocket_frames.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace ar = asyncrest;
using namespace std::chrono_literals;
using ar::testing::app_runner;
using ar::testing::client_frame;
using ar::testing::close_payload;
using ar::testing::open_websocket;
using ar::testing::raw_client;
using ar::testing::read_server_frame;
using ar::testing::server_frame;
using ar::testing::text_frame;
using ar::testing::wait_until;

namespace {

/// What a room carries: the text, and the frame encoded once for every member.
struct room_message {
  explicit room_message(std::string body) : text(std::move(body)), frame(ar::websocket_frame::text(text)) {}
  std::string text;
  ar::websocket_frame frame;
};

struct rooms_fixture {
  explicit rooms_fixture(ar::hub_settings settings = {}) : rooms(settings) {}

  ar::hub<room_message> rooms;
  std::atomic<int> handlers_done{0};

  auto make_app() {
    return ar::app{ar::routes(
        // A member: the room relayed to it, what it sends published to the room.
        ar::websocket<"/rooms/{room}">([this](ar::websocket_connection& socket, std::string room) -> ar::task<void> {
          auto subscription = rooms.subscribe(room, socket.get_executor());
          ar::relay(subscription, socket,
                    [](const room_message& message) -> const ar::websocket_frame& { return message.frame; });
          for (;;) {
            const ar::websocket_message message = co_await socket.receive();
            if (message.closed()) break;
            rooms.publish(room, room_message(std::string(message.data)));
          }
          ++handlers_done;
        }),
        // A member that leaves after its first message, its socket still open meanwhile.
        ar::websocket<"/brief/{room}">([this](ar::websocket_connection& socket, std::string room) -> ar::task<void> {
          auto subscription = rooms.subscribe(room, socket.get_executor());
          ar::relay(subscription, socket,
                    [](const room_message& message) -> const ar::websocket_frame& { return message.frame; });
          const ar::websocket_message first = co_await socket.receive();
          (void)first;
          ++handlers_done;
        }),
        ar::post<"/rooms/{room}">([this](ar::request& req, std::string room) {
          rooms.publish(room, room_message(std::string(req.body())));
          return ar::empty();
        }))};
  }
};

/// A hub of frames, relayed as they are.
struct frames_fixture {
  ar::hub<ar::websocket_frame> feed;
  auto make_app() {
    return ar::app{ar::routes(ar::websocket<"/feed">([this](ar::websocket_connection& socket) -> ar::task<void> {
      auto subscription = feed.subscribe("news", socket.get_executor());
      ar::relay(subscription, socket);
      while (!(co_await socket.receive()).closed()) {
      }
    }))};
  }
};

void publish_over_http(std::uint16_t port, std::string_view room, std::string_view body) {
  raw_client publisher(port);
  REQUIRE(publisher.send(ar::testing::joined(ar::testing::joined("POST /rooms/", room), " HTTP/1.1\r\nHost: test\r\n") +
                         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body)));
  REQUIRE(publisher.read_response().status == 204);
}

}  // namespace

TEST_CASE("relay: every member gets the room's messages in order, its own included, while it sends") {
  rooms_fixture fixture;
  auto app = fixture.make_app();
  app.attach(fixture.rooms);
  app_runner server{app};
  std::vector<std::unique_ptr<raw_client>> members;
  for (int index = 0; index < 3; ++index) {
    members.push_back(std::make_unique<raw_client>(server.port()));
    open_websocket(*members.back(), "/rooms/lobby");
  }
  REQUIRE(wait_until([&] { return fixture.rooms.subscribers("lobby") == 3; }));

  // One member sends 100 messages back to back; each member, the sender included, reads all of
  // them in the order sent, and a message over HTTP after them.
  std::string burst;
  for (int number = 0; number < 100; ++number) burst += text_frame("message " + std::to_string(number));
  REQUIRE(members[0]->send(burst));
  for (auto& member : members) {
    for (int number = 0; number < 100; ++number) {
      const server_frame frame = read_server_frame(*member);
      REQUIRE(frame.opcode() == 0x1);
      CHECK(frame.payload == "message " + std::to_string(number));
    }
  }
  publish_over_http(server.port(), "lobby", "from the web");
  for (auto& member : members) CHECK(read_server_frame(*member).payload == "from the web");

  // Another room hears nothing of the lobby: its first frame is its own room's.
  raw_client elsewhere(server.port());
  open_websocket(elsewhere, "/rooms/kitchen");
  REQUIRE(wait_until([&] { return fixture.rooms.subscribers("kitchen") == 1; }));
  publish_over_http(server.port(), "lobby", "lobby only");
  publish_over_http(server.port(), "kitchen", "kitchen only");
  CHECK(read_server_frame(elsewhere).payload == "kitchen only");

  // A member's close: its handler ends, and with it the subscription.
  members[1]->send(client_frame(0x88, close_payload(1000)));
  server_frame answer = read_server_frame(*members[1]);
  CHECK(answer.payload == "lobby only");  // relayed before the close arrived
  answer = read_server_frame(*members[1]);
  REQUIRE(answer.opcode() == 0x8);
  CHECK(answer.close_code() == 1000);
  CHECK(members[1]->closed_by_server());
  CHECK(wait_until([&] { return fixture.rooms.subscribers("lobby") == 2; }));
}

TEST_CASE("relay: a member that reads nothing falls behind and is closed with 1013; the others go on") {
  rooms_fixture fixture({.queue_capacity = 8, .when_full = ar::overflow_policy::drop_subscriber});
  auto app = fixture.make_app();
  app.attach(fixture.rooms);
  app_runner server{app};
  raw_client reader(server.port());
  open_websocket(reader, "/rooms/busy");
  raw_client sleeper(server.port(), 10s, 4096);  // a small window, and it reads nothing for now
  open_websocket(sleeper, "/rooms/busy");
  REQUIRE(wait_until([&] { return fixture.rooms.subscribers("busy") == 2; }));

  // 64 KiB messages: the sleeper's socket fills after a few, its queue of 8 soon after.
  const std::string padding(64 * 1024, 'x');
  int published = 0;
  int read = 0;
  while (fixture.rooms.statistics().dropped_subscribers == 0 && published < 400) {
    publish_over_http(server.port(), "busy", std::to_string(published) + padding);
    ++published;
    const server_frame frame = read_server_frame(reader);
    CHECK(frame.payload == std::to_string(read) + padding);
    ++read;
  }
  REQUIRE(fixture.rooms.statistics().dropped_subscribers == 1);
  CHECK(fixture.rooms.subscribers("busy") == 1);

  // The sleeper wakes: the frames that made it out, in order, then the close.
  int next = 0;
  server_frame frame = read_server_frame(sleeper);
  while (frame.opcode() == 0x1) {
    CHECK(frame.payload == std::to_string(next) + padding);
    ++next;
    frame = read_server_frame(sleeper);
  }
  CHECK(next < published);
  REQUIRE(frame.opcode() == 0x8);
  CHECK(frame.close_code() == 1013);
  sleeper.send(client_frame(0x88, close_payload(1013)));
  CHECK(sleeper.closed_by_server());

  // The reader goes on.
  publish_over_http(server.port(), "busy", "still here");
  CHECK(read_server_frame(reader).payload == "still here");
}

TEST_CASE("relay: the hub's close closes every relayed member with 1001; so does the drain, before run() returns") {
  frames_fixture fixture;
  auto app = fixture.make_app();
  app.attach(fixture.feed);
  app_runner server{app};
  std::vector<std::unique_ptr<raw_client>> members;
  for (int index = 0; index < 3; ++index) {
    members.push_back(std::make_unique<raw_client>(server.port()));
    open_websocket(*members.back(), "/feed");
  }
  REQUIRE(wait_until([&] { return fixture.feed.subscribers("news") == 3; }));
  fixture.feed.publish("news", ar::websocket_frame::text("headline"));
  for (auto& member : members) CHECK(read_server_frame(*member).payload == "headline");

  SUBCASE("the hub closes, the server runs on") {
    fixture.feed.close();
    for (auto& member : members) {
      const server_frame frame = read_server_frame(*member);
      REQUIRE(frame.opcode() == 0x8);
      CHECK(frame.close_code() == 1001);
      CHECK(frame.payload.substr(2) == "the topic has closed");
      member->send(client_frame(0x88, close_payload(1001)));
      CHECK(member->closed_by_server());
    }
  }
  SUBCASE("the drain") {
    std::atomic<bool> stopped{false};
    std::thread stopper([&] {
      server.stop();
      stopped = true;
    });
    for (auto& member : members) {
      const server_frame frame = read_server_frame(*member);
      REQUIRE(frame.opcode() == 0x8);
      CHECK(frame.close_code() == 1001);
      CHECK(!stopped);
      member->send(client_frame(0x88, close_payload(1001)));
      CHECK(member->closed_by_server());
    }
    stopper.join();
  }
  CHECK(fixture.feed.statistics().subscribers == 0);
}

TEST_CASE("relay: a handler that returns ends its relay; nothing is sent after its close") {
  rooms_fixture fixture;
  auto app = fixture.make_app();
  app.attach(fixture.rooms);
  app_runner server{app};
  raw_client member(server.port());
  open_websocket(member, "/brief/hall");
  REQUIRE(wait_until([&] { return fixture.rooms.subscribers("hall") == 1; }));
  publish_over_http(server.port(), "hall", "before");
  CHECK(read_server_frame(member).payload == "before");

  member.send(text_frame("goodbye"));
  REQUIRE(wait_until([&] { return fixture.handlers_done == 1; }));
  CHECK(fixture.rooms.subscribers("hall") == 0);
  publish_over_http(server.port(), "hall", "after");  // nobody to relay it to
  const server_frame frame = read_server_frame(member);
  REQUIRE(frame.opcode() == 0x8);
  CHECK(frame.close_code() == 1000);
  member.send(client_frame(0x88, close_payload(1000)));
  CHECK(member.closed_by_server());
}
