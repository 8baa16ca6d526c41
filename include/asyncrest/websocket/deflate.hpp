// WebSocket compression (permessage-deflate, RFC 7692): what a server accepts and a client offers.
//
//     deflate_settings deflate{.enabled = true, .client_no_context_takeover = true};
//
// Off by default. Compression costs memory on every connection that agrees to it (with the
// defaults about 262 KiB to send and 39 KiB to receive while the contexts are kept; see
// `memory_level`, the window bits and the `*_no_context_takeover` fields to lower it), and CPU on
// every message. And when one context compresses data an attacker chooses next to a secret (a
// token echoed in a message), the compressed sizes can reveal the secret, as CRIME and BREACH did
// for HTTP: an application that knows its messages are safe to compress turns it on. Needs zlib:
// link `asyncrest::zlib`.
#pragma once

#include <cstddef>

namespace asyncrest {

/// permessage-deflate settings. "Server" and "client" name the side whose compressor a field
/// limits, whatever side this endpoint is, as in the RFC's parameter names.
struct deflate_settings {
  /// Offer (client) or accept (server) the extension at all.
  bool enabled = false;
  /// The server starts each message from an empty window: less memory, worse ratio.
  bool server_no_context_takeover = false;
  /// The client starts each message from an empty window (a server asks this of its clients).
  bool client_no_context_takeover = false;
  /// Largest window, 8..15 (256 B..32 KiB), of the server's compressor; smaller uses less memory.
  int server_max_window_bits = 15;
  /// Largest window, 8..15, of the client's compressor; a server declines offers that cannot limit it.
  int client_max_window_bits = 15;
  /// zlib level, 1 (fastest) .. 9 (smallest); 4 costs about what 1 does and half of 6, for most of 6's ratio.
  int level = 4;
  /// Messages shorter than this are sent uncompressed: deflate's few bytes of framing outweigh the gain.
  std::size_t minimum_size = 64;
  /// zlib memLevel, 1..9: the compressor's hash and buffer memory, 2^(memory_level + 9) bytes.
  int memory_level = 8;
};

}  // namespace asyncrest
