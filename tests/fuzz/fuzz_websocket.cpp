// A server's WebSocket connection fed from memory: any bytes from the client, arriving in any
// pieces, end in messages and a close that follow the protocol, never a crash, a hang, a leak
// or an exception out of receive().
//
// Properties checked:
//   - every text message received is UTF-8 (checked against a byte-by-byte reference of RFC
//     3629's table, not the connection's own validator), and no message exceeds the limit;
//   - what the server wrote is a sequence of whole frames, unmasked, with defined opcodes and no
//     reserved bit but RSV1 on a compressed message's first frame; control frames are final and
//     at most 125 bytes; at most one close frame, and nothing after it; its code is one a peer
//     may send (never 1005 or 1006) and its reason is UTF-8;
//   - an echoed message goes back as it came (when not compressed).
//
// Input: the first byte picks how the rest is cut into reads (low nibble: 0 one read, k every k
// bytes), whether permessage-deflate was agreed (0x10; 0x20 and 0x40 pick no context takeover for
// the client and the server), and whether messages are echoed (0x80).
#include <asyncrest/websocket/connection.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ar = asyncrest;
namespace detail = asyncrest::detail;

namespace {

void check(bool property) {
  if (!property) std::abort();
}

constexpr std::size_t message_limit = 4096;

// RFC 3629 §4, byte by byte.
bool reference_utf8(std::string_view text) {
  std::size_t at = 0;
  const auto byte = [&](std::size_t index) { return static_cast<unsigned char>(text[index]); };
  const auto in = [](unsigned char value, unsigned low, unsigned high) { return value >= low && value <= high; };
  while (at < text.size()) {
    const unsigned char lead = byte(at);
    std::size_t length = 0;
    unsigned second_low = 0x80, second_high = 0xBF;
    if (lead <= 0x7F) {
      length = 1;
    } else if (in(lead, 0xC2, 0xDF)) {
      length = 2;
    } else if (lead == 0xE0) {
      length = 3, second_low = 0xA0;
    } else if (in(lead, 0xE1, 0xEC) || in(lead, 0xEE, 0xEF)) {
      length = 3;
    } else if (lead == 0xED) {
      length = 3, second_high = 0x9F;
    } else if (lead == 0xF0) {
      length = 4, second_low = 0x90;
    } else if (in(lead, 0xF1, 0xF3)) {
      length = 4;
    } else if (lead == 0xF4) {
      length = 4, second_high = 0x8F;
    } else {
      return false;
    }
    if (text.size() - at < length) return false;
    if (length > 1 && !in(byte(at + 1), second_low, second_high)) return false;
    for (std::size_t index = 2; index < length; ++index) {
      if (!in(byte(at + index), 0x80, 0xBF)) return false;
    }
    at += length;
  }
  return true;
}

// The client's side of the socket: reads come from the input, cut into pieces; writes pile up.
struct memory_peer {
  std::string_view input;
  std::size_t piece = 0;  // 0: all at once
  std::string written;
  bool shut = false;

  static memory_peer& of(void* stream) { return *static_cast<memory_peer*>(stream); }

  static ar::task<std::size_t> read_some(void* stream, std::span<char> into) {
    memory_peer& self = of(stream);
    if (self.shut || self.input.empty()) co_return 0;
    std::size_t count = std::min(self.input.size(), into.size());
    if (self.piece != 0) count = std::min(count, self.piece);
    std::copy_n(self.input.data(), count, into.data());
    self.input.remove_prefix(count);
    co_return count;
  }
  static ar::task<bool> write(void* stream, std::string_view head, std::string_view body) {
    memory_peer& self = of(stream);
    if (self.shut) co_return false;
    self.written.append(head).append(body);
    co_return true;
  }
  static void shut_down(void* stream) noexcept { of(stream).shut = true; }
  static bool stop_requested(const void*) noexcept { return false; }
};

struct received {
  bool text = false;
  std::string data;
};

ar::task<void> serve(std::shared_ptr<detail::websocket_state> state, bool echo, std::vector<received>& messages) {
  ar::websocket_connection socket = detail::websocket_access::make(state);
  for (;;) {
    const ar::websocket_message message = co_await socket.receive();
    if (message.closed()) break;
    check(message.data.size() <= message_limit);
    if (message.is_text()) check(reference_utf8(message.data));
    messages.push_back({message.is_text(), std::string(message.data)});
    if (echo) {
      if (message.is_text()) {
        co_await socket.send_text(message.data);
      } else {
        co_await socket.send_binary(message.data);
      }
    }
  }
  // What a route does when its handler returns: finish the closing handshake.
  if (!state->ended && !state->close_sent) co_await state->send_close(ar::websocket_close_code::normal, {});
  while (!state->ended) (void)co_await state->receive();
  co_await state->stop_timer();
}

bool may_be_sent(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

// The server's frames, read back strictly.
void check_written(std::string_view bytes, bool compressed, bool echo, const std::vector<received>& messages) {
  bool close_seen = false;
  bool in_message = false;
  std::size_t echoed = 0;
  while (!bytes.empty()) {
    check(!close_seen);  // nothing after a close frame
    detail::frame_header header;
    const std::size_t header_size = detail::parse_frame_header(bytes, header);
    check(header_size != 0 && !header.masked && !header.length_top_bit);
    check(bytes.size() - header_size >= header.length);
    const std::string_view payload = bytes.substr(header_size, static_cast<std::size_t>(header.length));
    bytes.remove_prefix(header_size + static_cast<std::size_t>(header.length));
    check(!header.rsv2 && !header.rsv3);
    const auto code = static_cast<detail::opcode>(header.code);
    const bool control = header.code >= 8;
    if (control) {
      check(header.final && !header.rsv1 && payload.size() <= 125);
      check(code == detail::opcode::close || code == detail::opcode::ping || code == detail::opcode::pong);
      if (code == detail::opcode::close) {
        close_seen = true;
        check(payload.size() != 1);
        if (payload.size() >= 2) {
          const auto sent = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                                       static_cast<unsigned char>(payload[1]));
          check(may_be_sent(sent));
          check(reference_utf8(payload.substr(2)));
        }
      }
      continue;
    }
    if (header.code == 0) {
      check(in_message && !header.rsv1);
    } else {
      check(!in_message && (code == detail::opcode::text || code == detail::opcode::binary));
      check(!header.rsv1 || compressed);
      // A whole message sent by the echo, uncompressed: it must be the next message received.
      if (echo && header.final && !header.rsv1) {
        check(echoed < messages.size());
        check(messages[echoed].text == (code == detail::opcode::text));
        check(messages[echoed].data == payload);
      }
      ++echoed;
    }
    in_message = !header.final;
  }
  check(!echo || echoed <= messages.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t choice = data[0];
  memory_peer peer;
  peer.input = std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1);
  peer.piece = choice & 0x0F;
  const bool echo = (choice & 0x80) != 0;

  asio::io_context context;
  detail::websocket_transport transport;
  transport.stream = &peer;
  transport.read_some = &memory_peer::read_some;
  transport.write = &memory_peer::write;
  transport.shut_down = &memory_peer::shut_down;
  transport.stop_requested = &memory_peer::stop_requested;
  transport.executor = context.get_executor();

  ar::websocket_settings settings;
  settings.max_message_bytes = message_limit;
  bool compressed = false;
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
  compressed = (choice & 0x10) != 0;
  if (compressed) settings.deflate.enabled = true;
#endif
  auto state = std::make_shared<detail::websocket_state>(transport, detail::websocket_role::server, settings);
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
  if (compressed) {
    detail::deflate_agreement agreement;
    agreement.client_no_context_takeover = (choice & 0x20) != 0;
    agreement.server_no_context_takeover = (choice & 0x40) != 0;
    state->enable_deflate(agreement);
  }
#endif

  std::vector<received> messages;
  bool finished = false;
  asio::co_spawn(context, serve(state, echo, messages), [&](const std::exception_ptr& failure) {
    check(failure == nullptr);  // bad input is a close code, never an exception
    finished = true;
  });
  state.reset();
  context.run();
  check(finished);
  check_written(peer.written, compressed, echo, messages);
  return 0;
}
