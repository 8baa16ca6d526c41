// permessage-deflate (RFC 7692): the negotiation in the opening handshake, for both roles, and
// the compression of whole messages (`message_deflater`) and their decompression frame by frame
// (`message_inflater`) with zlib's raw DEFLATE.
//
// How the connection uses it:
//   server  `accept_deflate_offer(request's Sec-WebSocket-Extensions, settings)`; when it gives an
//           acceptance, its `answer` goes into the 101's Sec-WebSocket-Extensions.
//   client  `deflate_offer(settings)` into the request; `check_deflate_answer(101's field,
//           settings)`: an `error` fails the handshake (RFC 6455 §4.1: _Fail the WebSocket
//           Connection_), else its `agreement`, if any, is in force.
//   both    a `message_deflater` for `agreement.outgoing(role)` and a `message_inflater` for
//           `agreement.incoming(role)`, made when the extension was agreed (they hold no zlib
//           memory before their first message). A message is sent compressed, RSV1 set on its
//           first frame, when `worth_compressing(size)`; a message received with RSV1 is
//           decompressed. The inflater's errors close the connection: `message_too_big` with
//           1009, `invalid_data` with 1007 (`close_code_for`).
//
// Memory. zlib allocates a compressor's memory when it starts (2^(window_bits + 2) bytes of
// window and chain plus 2^(memory_level + 9) of hash and buffer, plus about 6 KiB of state: 262
// KiB with window 15 and memory level 8, 142 KiB with memory level 4) and a decompressor's state
// when it starts (about 7 KiB) and its 2^window_bits window on its first output. An idle
// connection that keeps its contexts therefore holds about 262 + 39 KiB with the defaults, what
// `held_bytes()` reports and the tests check. A direction without context takeover holds nothing
// between messages: its zlib stream is reset and lent back to a small per-thread pool
// (`zlib_stream_pool`), so a message costs no allocation and an idle connection no memory.
#pragma once

#include <asyncrest/core/detail/field_rules.hpp>
#include <asyncrest/websocket/deflate.hpp>
#include <asyncrest/websocket/detail/extension_list.hpp>
#include <asyncrest/websocket/detail/role.hpp>

#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace asyncrest::detail {

// ---------------------------------------------------------------------------------------------
// Negotiation
// ---------------------------------------------------------------------------------------------

inline constexpr std::string_view permessage_deflate_name = "permessage-deflate";

/// What is wrong with `settings`, or empty: window bits 8..15, level 0..9, memory level 1..9.
[[nodiscard]] constexpr std::string_view deflate_settings_problem(const deflate_settings& settings) noexcept {
  if (settings.server_max_window_bits < 8 || settings.server_max_window_bits > 15)
    return "deflate_settings::server_max_window_bits must be between 8 and 15";
  if (settings.client_max_window_bits < 8 || settings.client_max_window_bits > 15)
    return "deflate_settings::client_max_window_bits must be between 8 and 15";
  if (settings.level < 0 || settings.level > 9) return "deflate_settings::level must be between 0 and 9";
  if (settings.memory_level < 1 || settings.memory_level > 9)
    return "deflate_settings::memory_level must be between 1 and 9";
  return {};
}

inline void check_deflate_settings(const deflate_settings& settings) {
  if (const std::string_view problem = deflate_settings_problem(settings); !problem.empty())
    throw std::invalid_argument(std::string(problem));
}

/// One direction of a connection's compression: the window of the compressor that sends it and
/// whether that compressor (and the peer's decompressor) starts every message afresh.
struct deflate_direction {
  int window_bits = 15;
  bool reset_per_message = false;
};

/// What both sides agreed to. The server's fields govern what the server sends, the client's
/// what the client sends.
struct deflate_agreement {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  int server_max_window_bits = 15;
  int client_max_window_bits = 15;

  [[nodiscard]] constexpr deflate_direction sent_by(websocket_role sender) const noexcept {
    return sender == websocket_role::server ? deflate_direction{server_max_window_bits, server_no_context_takeover}
                                            : deflate_direction{client_max_window_bits, client_no_context_takeover};
  }
  /// What this endpoint compresses with.
  [[nodiscard]] constexpr deflate_direction outgoing(websocket_role self) const noexcept { return sent_by(self); }
  /// What this endpoint decompresses with: the peer's direction.
  [[nodiscard]] constexpr deflate_direction incoming(websocket_role self) const noexcept {
    return sent_by(self == websocket_role::server ? websocket_role::client : websocket_role::server);
  }
  friend constexpr bool operator==(const deflate_agreement&, const deflate_agreement&) = default;
};

/// The parameters one permessage-deflate element carries, as written.
struct deflate_parameters {
  static constexpr int absent = 0;
  static constexpr int without_value = -1;  // client_max_window_bits in an offer may have none

  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  int server_max_window_bits = absent;
  int client_max_window_bits = absent;
};

/// A window size parameter's value: 1*DIGIT (after unquoting, RFC 7692 §7.1) from 8 to 15.
[[nodiscard]] constexpr std::optional<int> window_bits_value(const extension_parameter& parameter) noexcept {
  if (!parameter.has_value || parameter.value.empty()) return std::nullopt;
  int value = 0;
  bool digits = true;
  for_each_value_character(parameter, [&](char character) {
    if (character < '0' || character > '9') {
      digits = false;  // and not added: a long run of other bytes must not overflow the value
      return;
    }
    if (value < 100) value = value * 10 + (character - '0');
  });
  if (!digits || value < 8 || value > 15) return std::nullopt;
  return value;
}

/// A permessage-deflate element's parameters; nothing when the element is malformed or has an
/// unknown, repeated or invalid parameter (RFC 7692 §7: such an offer is declined, such an
/// answer fails the connection).
[[nodiscard]] constexpr std::optional<deflate_parameters> read_deflate_parameters(
    const extension_element& element) noexcept {
  if (!element.well_formed) return std::nullopt;
  deflate_parameters read;
  bool seen[4] = {};
  for (std::size_t index = 0; index < element.parameter_count; ++index) {
    const extension_parameter& parameter = element.parameters[index];
    int which = -1;
    if (ascii_iequals(parameter.name, "server_no_context_takeover")) which = 0;
    if (ascii_iequals(parameter.name, "client_no_context_takeover")) which = 1;
    if (ascii_iequals(parameter.name, "server_max_window_bits")) which = 2;
    if (ascii_iequals(parameter.name, "client_max_window_bits")) which = 3;
    if (which < 0 || seen[which]) return std::nullopt;
    seen[which] = true;
    switch (which) {
      case 0:
      case 1:
        if (parameter.has_value) return std::nullopt;
        (which == 0 ? read.server_no_context_takeover : read.client_no_context_takeover) = true;
        break;
      case 2: {
        const std::optional<int> bits = window_bits_value(parameter);
        if (!bits) return std::nullopt;
        read.server_max_window_bits = *bits;
        break;
      }
      default: {
        if (!parameter.has_value) {
          read.client_max_window_bits = deflate_parameters::without_value;
          break;
        }
        const std::optional<int> bits = window_bits_value(parameter);
        if (!bits) return std::nullopt;
        read.client_max_window_bits = *bits;
      }
    }
  }
  return read;
}

inline void append_window_bits(std::string& out, std::string_view name, int bits) {
  out += "; ";
  out += name;
  out += '=';
  if (bits >= 10) out += '1';
  out += static_cast<char>('0' + bits % 10);
}

/// The server's side of a successful negotiation.
struct deflate_acceptance {
  deflate_agreement agreement;
  std::string answer;  ///< the value of the 101's Sec-WebSocket-Extensions
};

/// Server: the first permessage-deflate offer in `offers` (the request's Sec-WebSocket-Extensions)
/// that the settings can honour, or nothing (the handshake goes on without compression).
/// Offers that are malformed or carry unknown, repeated or invalid parameters are skipped, and so
/// are offers without client_max_window_bits when the settings limit the client's window (the
/// client could not be held to it). Throws `std::invalid_argument` for invalid settings.
[[nodiscard]] inline std::optional<deflate_acceptance> accept_deflate_offer(std::string_view offers,
                                                                            const deflate_settings& settings) {
  check_deflate_settings(settings);
  if (!settings.enabled) return std::nullopt;
  extension_list_reader reader(offers);
  extension_element element;
  while (reader.next(element)) {
    if (!ascii_iequals(element.name, permessage_deflate_name)) continue;
    const std::optional<deflate_parameters> offer = read_deflate_parameters(element);
    if (!offer) continue;
    const bool client_window_offered = offer->client_max_window_bits != deflate_parameters::absent;
    if (settings.client_max_window_bits < 15 && !client_window_offered) continue;

    deflate_acceptance accepted;
    deflate_agreement& agreed = accepted.agreement;
    agreed.server_no_context_takeover = offer->server_no_context_takeover || settings.server_no_context_takeover;
    // The client's own request is only a hint (§7.1.1.2); stating it lets this side's
    // decompressor forget between messages too.
    agreed.client_no_context_takeover = offer->client_no_context_takeover || settings.client_no_context_takeover;
    agreed.server_max_window_bits = offer->server_max_window_bits == deflate_parameters::absent
                                        ? settings.server_max_window_bits
                                        : std::min(offer->server_max_window_bits, settings.server_max_window_bits);
    agreed.client_max_window_bits = offer->client_max_window_bits > 0
                                        ? std::min(offer->client_max_window_bits, settings.client_max_window_bits)
                                        : (client_window_offered ? settings.client_max_window_bits : 15);

    std::string& answer = accepted.answer;
    answer.reserve(128);
    answer = permessage_deflate_name;
    if (agreed.server_no_context_takeover) answer += "; server_no_context_takeover";
    if (agreed.client_no_context_takeover) answer += "; client_no_context_takeover";
    // Stated when asked about, or when smaller than the client would assume (§7.1.2.1).
    if (offer->server_max_window_bits != deflate_parameters::absent || agreed.server_max_window_bits < 15)
      append_window_bits(answer, "server_max_window_bits", agreed.server_max_window_bits);
    // Only a client that offered the parameter may receive it (§7.1.2.2).
    if (offer->client_max_window_bits > 0 || (client_window_offered && agreed.client_max_window_bits < 15))
      append_window_bits(answer, "client_max_window_bits", agreed.client_max_window_bits);
    return accepted;
  }
  return std::nullopt;
}

/// Client: the Sec-WebSocket-Extensions value to offer, empty when disabled. It always says
/// `client_max_window_bits`, so a server may ask for a smaller client window.
[[nodiscard]] inline std::string deflate_offer(const deflate_settings& settings) {
  check_deflate_settings(settings);
  if (!settings.enabled) return {};
  std::string offer(permessage_deflate_name);
  if (settings.server_no_context_takeover) offer += "; server_no_context_takeover";
  if (settings.client_no_context_takeover) offer += "; client_no_context_takeover";
  if (settings.server_max_window_bits < 15)
    append_window_bits(offer, "server_max_window_bits", settings.server_max_window_bits);
  if (settings.client_max_window_bits < 15) {
    append_window_bits(offer, "client_max_window_bits", settings.client_max_window_bits);
  } else {
    offer += "; client_max_window_bits";
  }
  return offer;
}

/// The client's reading of the server's answer.
struct deflate_answer_check {
  std::optional<deflate_agreement> agreement;  ///< none: the server declined compression
  std::string_view error;                      ///< not empty: fail the handshake, for this reason

  [[nodiscard]] bool failed() const noexcept { return !error.empty(); }
};

/// Client: checks the 101's Sec-WebSocket-Extensions (empty when absent) against what
/// `deflate_offer(settings)` offered. An extension that was not offered, a second
/// permessage-deflate, a malformed list or a parameter the offer does not allow is an error.
[[nodiscard]] inline deflate_answer_check check_deflate_answer(std::string_view answer,
                                                               const deflate_settings& settings) {
  check_deflate_settings(settings);
  deflate_answer_check checked;
  extension_list_reader reader(answer);
  extension_element element;
  while (reader.next(element)) {
    if (!element.well_formed) return {std::nullopt, "the server's Sec-WebSocket-Extensions is malformed"};
    if (!settings.enabled || !ascii_iequals(element.name, permessage_deflate_name))
      return {std::nullopt, "the server accepted an extension the client did not offer"};
    if (checked.agreement) return {std::nullopt, "the server accepted permessage-deflate twice"};
    const std::optional<deflate_parameters> answered = read_deflate_parameters(element);
    if (!answered)
      return {std::nullopt, "the server's permessage-deflate has an unknown, repeated or invalid parameter"};
    if (answered->client_max_window_bits == deflate_parameters::without_value)
      return {std::nullopt, "the server's client_max_window_bits has no value"};
    if (settings.server_no_context_takeover && !answered->server_no_context_takeover)
      return {std::nullopt, "the server did not agree to server_no_context_takeover"};
    if (settings.server_max_window_bits < 15 && (answered->server_max_window_bits == deflate_parameters::absent ||
                                                 answered->server_max_window_bits > settings.server_max_window_bits))
      return {std::nullopt, "the server did not agree to the offered server_max_window_bits"};
    if (answered->client_max_window_bits > settings.client_max_window_bits)
      return {std::nullopt, "the server's client_max_window_bits is larger than offered"};

    deflate_agreement agreed;
    agreed.server_no_context_takeover = answered->server_no_context_takeover;
    // This side may always forget between messages; the server's decompressor then simply
    // never finds references into earlier ones.
    agreed.client_no_context_takeover = answered->client_no_context_takeover || settings.client_no_context_takeover;
    agreed.server_max_window_bits =
        answered->server_max_window_bits == deflate_parameters::absent ? 15 : answered->server_max_window_bits;
    agreed.client_max_window_bits = answered->client_max_window_bits == deflate_parameters::absent
                                        ? settings.client_max_window_bits
                                        : answered->client_max_window_bits;
    checked.agreement = agreed;
  }
  return checked;
}

// ---------------------------------------------------------------------------------------------
// zlib streams
// ---------------------------------------------------------------------------------------------

/// A zlib stream with the count of the bytes zlib allocated for it. Not movable: zlib keeps a
/// pointer to it (`opaque`), hence always held by `unique_ptr`.
struct zlib_stream {
  enum class kind { deflate, inflate };

  zlib_stream(kind made_for, int key_value) noexcept : operation(made_for), key(key_value) {
    stream.zalloc = &allocate;
    stream.zfree = &release;
    stream.opaque = this;
  }
  zlib_stream(const zlib_stream&) = delete;
  zlib_stream& operator=(const zlib_stream&) = delete;
  ~zlib_stream() {
    if (!started) return;
    if (operation == kind::deflate) {
      deflateEnd(&stream);
    } else {
      inflateEnd(&stream);
    }
  }

  /// Ready for a new message, with no memory of earlier ones.
  void reset() noexcept {
    if (operation == kind::deflate) {
      deflateReset(&stream);
    } else {
      inflateReset(&stream);
    }
  }

  z_stream stream{};
  kind operation;
  int key;  // the parameters it was started with: only a stream with the same key is reused
  bool started = false;
  std::size_t allocated_bytes = 0;

 private:
  struct alignas(std::max_align_t) block_header {
    std::size_t bytes;
  };

  static voidpf allocate(voidpf opaque, uInt items, uInt size) noexcept {
    const std::size_t bytes = std::size_t{items} * size;
    void* block = std::malloc(sizeof(block_header) + bytes);
    if (block == nullptr) return Z_NULL;
    static_cast<block_header*>(block)->bytes = bytes;
    static_cast<zlib_stream*>(opaque)->allocated_bytes += bytes;
    return static_cast<block_header*>(block) + 1;
  }

  static void release(voidpf opaque, voidpf address) noexcept {
    block_header* block = static_cast<block_header*>(address) - 1;
    static_cast<zlib_stream*>(opaque)->allocated_bytes -= block->bytes;
    std::free(block);
  }
};

/// Streams with nothing left to remember, kept per thread for the next message of any
/// connection with the same parameters: a message without context takeover then allocates
/// nothing, and an idle connection holds no zlib memory. A few at most, so a burst of
/// connections does not leave memory behind.
class zlib_stream_pool {
 public:
  static constexpr std::size_t capacity = 4;

  static zlib_stream_pool& this_thread() noexcept {
    thread_local zlib_stream_pool pool;
    return pool;
  }

  [[nodiscard]] std::unique_ptr<zlib_stream> take(int key) noexcept {
    for (std::unique_ptr<zlib_stream>& spare : spares_) {
      if (spare && spare->key == key) return std::move(spare);
    }
    return nullptr;
  }

  /// Takes a stream that has been reset; drops it when the pool is full.
  void give_back(std::unique_ptr<zlib_stream> stream) noexcept {
    for (std::unique_ptr<zlib_stream>& spare : spares_) {
      if (!spare) {
        spare = std::move(stream);
        return;
      }
    }
  }

  [[nodiscard]] std::size_t size() const noexcept {
    return static_cast<std::size_t>(
        std::count_if(spares_.begin(), spares_.end(), [](const auto& spare) { return spare != nullptr; }));
  }
  void clear() noexcept {
    for (std::unique_ptr<zlib_stream>& spare : spares_) spare.reset();
  }

 private:
  std::array<std::unique_ptr<zlib_stream>, capacity> spares_;
};

// zlib takes lengths as uInt: longer input is given in pieces of this size.
inline constexpr std::size_t zlib_piece_limit = std::size_t{1} << 30;

// What a compressed message ends with after a sync flush, and what the receiver appends
// (RFC 7692 §7.2.1, §7.2.2).
inline constexpr std::string_view deflate_message_tail{"\x00\x00\xff\xff", 4};

// ---------------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------------

/// Compresses one direction's messages. Holds no zlib memory until its first message, and none
/// between messages when the direction resets per message.
class message_deflater {
 public:
  /// Throws `std::invalid_argument` for invalid settings or window bits.
  message_deflater(const deflate_settings& settings, deflate_direction direction)
      : level_(settings.level),
        memory_level_(settings.memory_level),
        // zlib (since 1.2.9) refuses a raw window of 8 bits: it keeps 262 bytes of its window
        // for lookahead, which 2^8 bytes cannot hold. With 9 bits its farthest reference is
        // 512 - 262 = 250 bytes back, inside the 256 bytes a peer that agreed to 8 keeps. What
        // the agreement (RFC 7692 §7.1.2.1) binds is how far back the stream refers, not the
        // compressor's buffer: a stream made with 9 is valid for a window of 8.
        window_bits_(std::max(direction.window_bits, 9)),
        reset_per_message_(direction.reset_per_message),
        minimum_size_(settings.minimum_size) {
    check_deflate_settings(settings);
    if (direction.window_bits < 8 || direction.window_bits > 15)
      throw std::invalid_argument("permessage-deflate window bits must be between 8 and 15");
  }
  message_deflater(const message_deflater&) = delete;
  message_deflater& operator=(const message_deflater&) = delete;
  ~message_deflater() { lend_stream(); }

  /// Whether a message of `size` bytes should be compressed (RSV1 set) or sent as it is.
  [[nodiscard]] bool worth_compressing(std::size_t size) const noexcept { return size >= minimum_size_; }

  /// Appends `message` compressed to `out`: the payload of a message with RSV1, without the
  /// trailing 00 00 FF FF.
  void compress(std::string_view message, std::string& out) { compress_part(message, true, out); }

  /// Appends the compressed form of one piece of a message to `out`, for a sender that streams:
  /// each call's output may be sent as a frame (it can be empty until zlib has a block ready).
  /// The message ends with the call where `last` is true.
  void compress_part(std::string_view piece, bool last, std::string& out) {
    z_stream& stream = acquire_stream();
    std::size_t written = out.size();
    const std::size_t message_start = written;
    message_has_input_ = message_has_input_ || !piece.empty();
    do {
      const std::size_t now = std::min(piece.size(), zlib_piece_limit);
      const bool last_piece = now == piece.size();
      stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(piece.data()));
      stream.avail_in = static_cast<uInt>(now);
      piece.remove_prefix(now);
      const int flush = last && last_piece ? Z_SYNC_FLUSH : Z_NO_FLUSH;
      // Room for the input compressed at worst (stored blocks), then more while zlib fills it.
      // (Not the string's spare capacity: resize() would zero all of it, message after message.)
      std::size_t room = now + now / 8 + 64;
      do {
        room = std::min(room, zlib_piece_limit);
        out.resize(written + room);
        stream.next_out = reinterpret_cast<Bytef*>(out.data() + written);
        stream.avail_out = static_cast<uInt>(room);
        const int status = deflate(&stream, flush);
        written += room - stream.avail_out;
        if (status == Z_STREAM_ERROR) throw std::logic_error("permessage-deflate: zlib's deflate state is broken");
        room = std::max<std::size_t>(written - message_start, 1024);
      } while (stream.avail_in != 0 || stream.avail_out == 0);
    } while (!piece.empty());
    out.resize(written);
    if (!last) return;
    const bool had_input = std::exchange(message_has_input_, false);
    if (!had_input && written == message_start) {
      // zlib makes nothing of a second flush in a row: an empty message after another message
      // is the empty stored block's first byte, as after any flush.
      out += '\0';
      if (reset_per_message_) lend_stream();
      return;
    }
    // A sync flush ends with an empty stored block, whose LEN and NLEN are these four bytes.
    if (out.size() - message_start < 4 || std::string_view(out).substr(out.size() - 4) != deflate_message_tail)
      throw std::logic_error("permessage-deflate: zlib's sync flush did not end with 00 00 FF FF");
    out.resize(out.size() - 4);
    if (reset_per_message_) lend_stream();
  }

  /// The bytes zlib holds for this compressor now.
  [[nodiscard]] std::size_t held_bytes() const noexcept {
    return stream_ ? stream_->allocated_bytes + sizeof(zlib_stream) : 0;
  }

 private:
  int key() const noexcept { return level_ | memory_level_ << 4 | window_bits_ << 8; }

  z_stream& acquire_stream() {
    if (stream_) return stream_->stream;
    stream_ = zlib_stream_pool::this_thread().take(key());
    if (stream_) return stream_->stream;
    auto made = std::make_unique<zlib_stream>(zlib_stream::kind::deflate, key());
    const int status =
        deflateInit2(&made->stream, level_, Z_DEFLATED, -window_bits_, memory_level_, Z_DEFAULT_STRATEGY);
    if (status == Z_MEM_ERROR) throw std::bad_alloc();
    if (status != Z_OK) throw std::invalid_argument("permessage-deflate: zlib refused the compressor's parameters");
    made->started = true;
    stream_ = std::move(made);
    return stream_->stream;
  }

  // Forgets the context and lends the stream to the thread's pool.
  void lend_stream() noexcept {
    if (!stream_) return;
    stream_->reset();
    zlib_stream_pool::this_thread().give_back(std::move(stream_));
    stream_.reset();
  }

  int level_;
  int memory_level_;
  int window_bits_;
  bool reset_per_message_;
  std::size_t minimum_size_;
  bool message_has_input_ = false;
  std::unique_ptr<zlib_stream> stream_;
};

// ---------------------------------------------------------------------------------------------
// Receiving
// ---------------------------------------------------------------------------------------------

/// Why a compressed message was refused; each closes the connection with its own code.
enum class inflate_error {
  none,
  message_too_big,  ///< decompresses to more than the limit: close with 1009 (Message Too Big)
  invalid_data,     ///< not valid DEFLATE, or bytes after its end: close with 1007 (Invalid Payload)
};

[[nodiscard]] constexpr std::uint16_t close_code_for(inflate_error error) noexcept {
  switch (error) {
    case inflate_error::message_too_big: return 1009;
    case inflate_error::invalid_data: return 1007;
    case inflate_error::none: break;
  }
  return 1000;
}

/// Decompresses one direction's messages as their frames arrive, refusing a message that grows
/// past `max_message_size` bytes before it is all there: the output never grows much past the
/// limit, whatever the compressed size.
class message_inflater {
 public:
  /// `incoming` is the peer's direction: its window and whether it forgets between messages.
  message_inflater(deflate_direction incoming, std::size_t max_message_size)
      : window_bits_(incoming.window_bits),
        reset_per_message_(incoming.reset_per_message),
        max_message_size_(max_message_size) {
    if (incoming.window_bits < 8 || incoming.window_bits > 15)
      throw std::invalid_argument("permessage-deflate window bits must be between 8 and 15");
  }
  message_inflater(const message_inflater&) = delete;
  message_inflater& operator=(const message_inflater&) = delete;
  ~message_inflater() { lend_stream(); }

  /// Appends the decompressed bytes of one frame's payload to `message`, which holds the
  /// message so far. `final_frame` ends the message (its FIN bit). After an error the inflater
  /// gives that error again: the connection is closing.
  [[nodiscard]] inflate_error decompress(std::string_view frame_payload, bool final_frame, std::string& message) {
    if (failed_ != inflate_error::none) return failed_;
    z_stream& stream = acquire_stream();
    inflate_error error = feed(stream, frame_payload, false, message);
    if (error == inflate_error::none && final_frame) {
      error = feed(stream, deflate_message_tail, true, message);
      // The tail is the LEN and NLEN of an empty stored block: after it the stream must be
      // between blocks (data_type's 128), unless the sender ended it with a final block.
      if (error == inflate_error::none && !stream_ended_ && (stream.data_type & 128) == 0)
        error = inflate_error::invalid_data;
      if (error == inflate_error::none) end_message(stream);
    }
    if (error != inflate_error::none) {
      failed_ = error;
      stream_.reset();  // not lent: its state is that of a broken stream
    }
    return error;
  }

  /// The bytes zlib holds for this decompressor now.
  [[nodiscard]] std::size_t held_bytes() const noexcept {
    return stream_ ? stream_->allocated_bytes + sizeof(zlib_stream) : 0;
  }

 private:
  int key() const noexcept { return window_bits_ | 1 << 12; }

  z_stream& acquire_stream() {
    if (stream_) return stream_->stream;
    stream_ = zlib_stream_pool::this_thread().take(key());
    if (stream_) return stream_->stream;
    auto made = std::make_unique<zlib_stream>(zlib_stream::kind::inflate, key());
    const int status = inflateInit2(&made->stream, -window_bits_);
    if (status == Z_MEM_ERROR) throw std::bad_alloc();
    if (status != Z_OK) throw std::invalid_argument("permessage-deflate: zlib refused the decompressor's parameters");
    made->started = true;
    stream_ = std::move(made);
    return stream_->stream;
  }

  inflate_error feed(z_stream& stream, std::string_view input, bool tail, std::string& message) {
    std::size_t written = message.size();
    inflate_error error = inflate_error::none;
    do {
      const std::size_t now = std::min(input.size(), zlib_piece_limit);
      stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
      stream.avail_in = static_cast<uInt>(now);
      input.remove_prefix(now);
      if (stream_ended_) {
        // Only the tail this side appends may follow a final block.
        if (!tail && now != 0) error = inflate_error::invalid_data;
        break;
      }
      std::size_t room = std::max<std::size_t>(now * 4, 4096);
      do {
        // One byte more than the limit allows is how going past it is noticed.
        const std::size_t allowed = max_message_size_ - produced_;
        const std::size_t allowance = allowed == std::numeric_limits<std::size_t>::max() ? allowed : allowed + 1;
        room = std::min({room, allowance, zlib_piece_limit});
        message.resize(written + room);
        stream.next_out = reinterpret_cast<Bytef*>(message.data() + written);
        stream.avail_out = static_cast<uInt>(room);
        const int status = inflate(&stream, Z_SYNC_FLUSH);
        const std::size_t produced = room - stream.avail_out;
        written += produced;
        produced_ += produced;
        if (status == Z_MEM_ERROR) {
          message.resize(written);
          throw std::bad_alloc();
        }
        if (status == Z_DATA_ERROR || status == Z_NEED_DICT || status == Z_STREAM_ERROR) {
          error = inflate_error::invalid_data;
          break;
        }
        if (produced_ > max_message_size_) {
          error = inflate_error::message_too_big;
          break;
        }
        if (status == Z_STREAM_END) {
          stream_ended_ = true;
          if (stream.avail_in != 0 && !tail) error = inflate_error::invalid_data;
          break;
        }
        if (status == Z_BUF_ERROR) break;  // needs more input
        room = std::max<std::size_t>(written, 4096);
      } while (stream.avail_in != 0 || stream.avail_out == 0);
    } while (error == inflate_error::none && !input.empty());
    message.resize(written);
    return error;
  }

  void end_message(z_stream& stream) {
    produced_ = 0;
    if (reset_per_message_) {
      stream_ended_ = false;
      lend_stream();
      return;
    }
    if (!stream_ended_) return;
    // A sender may end a message with a final block (BFINAL): a new DEFLATE stream follows,
    // which may still refer to the bytes before it. Keep them as its dictionary.
    stream_ended_ = false;
    std::string window(std::size_t{1} << window_bits_, '\0');
    uInt length = 0;
    inflateGetDictionary(&stream, reinterpret_cast<Bytef*>(window.data()), &length);
    inflateReset(&stream);
    inflateSetDictionary(&stream, reinterpret_cast<const Bytef*>(window.data()), length);
  }

  void lend_stream() noexcept {
    if (!stream_) return;
    stream_->reset();
    zlib_stream_pool::this_thread().give_back(std::move(stream_));
    stream_.reset();
  }

  int window_bits_;
  bool reset_per_message_;
  std::size_t max_message_size_;
  std::size_t produced_ = 0;  // decompressed bytes of the current message
  bool stream_ended_ = false;
  inflate_error failed_ = inflate_error::none;
  std::unique_ptr<zlib_stream> stream_;
};

}  // namespace asyncrest::detail
