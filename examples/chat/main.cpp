// The chat example: rooms that people join from a browser (a WebSocket), follow as a stream of
// events (SSE), or post to over plain HTTP. Every message goes through a hub, so the members of a
// room get it whichever server thread holds their connection.
//
//   GET  /                          the chat page
//   GET  /rooms/{room}/ws?name=N    WebSocket: send {"text": "..."}; receive every message
//   GET  /rooms/{room}/events       SSE: event "message", data the message; resumes after Last-Event-ID
//   POST /rooms/{room}/messages     {"from": "...", "text": "..."} -> 201 and the message
//   GET  /rooms/{room}/messages     the room's last 50 messages
//
// A message is the JSON object {"id", "room", "from", "text", "time"}; ids grow by one per room.
#include "page.hpp"

#include <asyncrest/server.hpp>

#include <simdjson.h>
#include <asio/this_coro.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ar = asyncrest;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t history_length = 50;  // messages a room keeps
constexpr std::size_t room_limit = 1000;    // rooms kept at once; the quietest is forgotten first
constexpr std::size_t longest_name = 40;    // bytes, for a person's and a room's name
constexpr std::size_t longest_text = 2000;  // bytes

// A message as every reader gets it: encoded once when posted, shared by all.
struct chat_message {
  chat_message(std::uint64_t number, std::string serialized)
      : id(number), json(std::move(serialized)), frame(ar::websocket_frame::text(json)) {}

  std::uint64_t id;
  std::string json;           // what GET .../messages lists and SSE sends as data
  ar::websocket_frame frame;  // the same JSON as a WebSocket text frame
};

// A name shown to others: not empty, not too long, no control characters.
bool is_good_name(std::string_view name) {
  if (name.empty() || name.size() > longest_name) return false;
  for (const char each : name) {
    if (static_cast<unsigned char>(each) < 0x20 || each == 0x7f) return false;
  }
  return true;
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

// The rooms: their recent messages, and the hub that carries new ones to every thread.
class chat_rooms {
 public:
  using message_pointer = std::shared_ptr<const chat_message>;

  // A reader that falls 256 messages behind is dropped (its WebSocket closed with 1013, its
  // event stream ended) rather than holding memory for it: its page reconnects and reloads.
  ar::hub<chat_message> hub{{.queue_capacity = 256, .when_full = ar::overflow_policy::drop_subscriber}};

  // Records a message and publishes it. Under the lock, so that every reader sees a room's
  // messages in the order of their ids, whichever threads posted them.
  message_pointer post(std::string_view room_name, std::string_view from, std::string_view text) {
    std::lock_guard lock(mutex_);
    room& place = find_or_make(room_name);
    const std::uint64_t id = ++place.last_id;
    std::string json;
    ar::json_writer out(json);
    out.begin_object();
    out.key("id");
    out.value(id);
    out.key("room");
    out.value(room_name);
    out.key("from");
    out.value(from);
    out.key("text");
    out.value(text);
    out.key("time");
    out.value(utc_now());
    out.end_object();
    auto shared = std::make_shared<const chat_message>(id, std::move(json));
    place.recent.push_back(shared);
    if (place.recent.size() > history_length) place.recent.pop_front();
    place.last_active = std::chrono::steady_clock::now();
    hub.publish(std::string(room_name), shared);
    return shared;
  }

  // The room's recent messages with an id above `after`, oldest first.
  std::deque<message_pointer> recent(std::string_view room_name, std::uint64_t after = 0) {
    std::lock_guard lock(mutex_);
    std::deque<message_pointer> found;
    if (auto place = rooms_.find(std::string(room_name)); place != rooms_.end()) {
      for (const auto& message : place->second.recent) {
        if (message->id > after) found.push_back(message);
      }
    }
    return found;
  }

 private:
  struct room {
    std::uint64_t last_id = 0;
    std::deque<message_pointer> recent;
    std::chrono::steady_clock::time_point last_active;
  };

  room& find_or_make(std::string_view name) {
    if (auto place = rooms_.find(std::string(name)); place != rooms_.end()) return place->second;
    if (rooms_.size() >= room_limit) {
      auto quietest = rooms_.begin();
      for (auto each = rooms_.begin(); each != rooms_.end(); ++each) {
        if (each->second.last_active < quietest->second.last_active) quietest = each;
      }
      rooms_.erase(quietest);
    }
    return rooms_[std::string(name)];
  }

  std::mutex mutex_;
  std::unordered_map<std::string, room> rooms_;
};

// The "text" of a member's {"text": "..."}, or nothing when the message is not that.
std::optional<std::string> text_of(std::string_view json) {
  thread_local simdjson::ondemand::parser parser;
  const simdjson::padded_string padded(json);
  std::string_view text;
  auto document = parser.iterate(padded);
  if (document.error() || document["text"].get_string().get(text)) return std::nullopt;
  return std::string(text);
}

// What POST /rooms/{room}/messages reads: a body without a string "from" or "text" is a 422
// naming them. The answers stay the messages' JSON, written once when they are posted.
struct posted_message {
  std::string from;
  std::string text;
};

void check_room(std::string_view room) {
  if (!is_good_name(room)) throw ar::http_error(ar::status::bad_request, "a room's name is 1 to 40 characters");
}

// A member's WebSocket: what it sends is posted to the room, what the room gets is relayed to
// it. A member too far behind is closed with 1013 (Try Again Later): its page reconnects and
// reads the history again.
ar::task<void> member(chat_rooms& rooms, std::string room, std::string name, ar::websocket_connection& socket) {
  auto subscription = rooms.hub.subscribe(room, socket.get_executor());
  ar::relay(subscription, socket,
            [](const chat_message& message) -> const ar::websocket_frame& { return message.frame; });
  for (;;) {
    const ar::websocket_message message = co_await socket.receive();
    if (message.closed()) break;
    const std::optional<std::string> text = message.is_text() ? text_of(message.data) : std::nullopt;
    if (!text || text->empty() || text->size() > longest_text) {
      co_await socket.close(ar::websocket_close_code::unsupported_data, "send {\"text\": \"...\"}, 1 to 2000 bytes");
      break;  // the route reads on, for the member's answer to the close
    }
    rooms.post(room, name, *text);
  }
}

// The members' WebSockets: pages are pinged every 30 s, so that a connection a proxy or a NAT
// dropped without a word is noticed; a browser page from another site is refused (the default
// Origin check). Messages are compressed when zlib is built in, with small windows: a chat
// message is short, and each connection's compressor would otherwise hold 300 KiB.
ar::websocket_route_settings member_settings() {
  ar::websocket_route_settings settings;
  settings.connection.max_message_bytes = 16 * 1024;
  settings.connection.ping_interval = 30s;
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
  settings.connection.deflate = {.enabled = true, .server_max_window_bits = 10, .memory_level = 4};
#endif
  return settings;
}

std::uint16_t port_from_environment() {
  std::uint16_t port = 8080;
  if (const char* text = std::getenv("PORT")) {
    auto [end, error] = std::from_chars(text, text + std::strlen(text), port);
    if (error != std::errc{} || *end != '\0') {
      std::fprintf(stderr, "chat: PORT must be a number from 0 to 65535, not \"%s\"\n", text);
      std::exit(2);
    }
  }
  return port;
}

}  // namespace

int main() {
  chat_rooms rooms;

  auto routes = ar::routes(
      ar::get<"/">([](ar::request&) {
        ar::response page = ar::text(std::string(chat_page));
        page.headers.set("Content-Type", "text/html; charset=utf-8");
        return page;
      }),

      ar::websocket<"/rooms/{room}/ws">(
          [&rooms](ar::request& req, std::string_view room) {
            check_room(room);
            const auto name = req.query("name");
            if (!name || !is_good_name(*name)) {
              throw ar::http_error(ar::status::bad_request, "?name= is 1 to 40 characters");
            }
            return ar::accept_websocket(
                [&rooms, room = std::string(room), name = std::string(*name)](ar::websocket_connection& socket) {
                  return member(rooms, room, name, socket);
                });
          },
          member_settings()),

      ar::get<"/rooms/{room}/events">([&rooms](ar::request&, std::string_view room) {
        check_room(room);
        return ar::event_stream(
            [&rooms, room = std::string(room)](ar::event_sink& events) -> ar::task<void> {
              auto subscription = rooms.hub.subscribe(room, co_await asio::this_coro::executor);
              // A reconnecting reader first gets what it missed, from the room's history.
              const std::string_view last_seen = events.last_event_id();
              std::uint64_t last_sent = 0;
              const bool resuming =
                  !last_seen.empty() &&
                  std::from_chars(last_seen.data(), last_seen.data() + last_seen.size(), last_sent).ec == std::errc{};
              auto send = [&](const chat_message& message) -> ar::task<void> {
                const std::string id = std::to_string(message.id);
                co_await events.send({.event = "message", .data = message.json, .id = id});
                last_sent = message.id;
              };
              if (resuming) {
                for (const auto& message : rooms.recent(room, last_sent)) co_await send(*message);
              }
              while (auto message = co_await subscription.next()) {
                if (message->id > last_sent || !resuming) co_await send(*message);
              }
            },
            {.heartbeat = 15s, .retry = 2s});
      }),

      ar::post<"/rooms/{room}/messages">([&rooms](std::string_view room, ar::json_body<posted_message> body) {
        check_room(room);
        if (!is_good_name(body->from)) {
          throw ar::http_error(ar::status::unprocessable_content, "from is 1 to 40 characters");
        }
        if (body->text.empty() || body->text.size() > longest_text) {
          throw ar::http_error(ar::status::unprocessable_content, "text is 1 to 2000 bytes");
        }
        return ar::raw_json(rooms.post(room, body->from, body->text)->json, ar::status::created);
      }),

      ar::get<"/rooms/{room}/messages">([&rooms](ar::request&, std::string_view room) {
        check_room(room);
        std::string list = "[";
        for (const auto& message : rooms.recent(room)) {
          if (list.size() > 1) list += ',';
          list += message->json;
        }
        list += ']';
        return ar::raw_json(std::move(list));
      }));

  ar::app app{routes};
  app.attach(rooms.hub);  // the hub ends its subscriptions when the server begins to drain
  const std::uint16_t port = app.listen({.host = "127.0.0.1", .port = port_from_environment()});
  std::printf("chat: listening on http://127.0.0.1:%u\n", static_cast<unsigned>(port));
  std::fflush(stdout);
  app.run();  // Ctrl-C closes every WebSocket with 1001, ends every stream, then returns
}
