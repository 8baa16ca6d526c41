// One request from start to end: borrow a connection (or open one), write the request, read the
// response; around that, the retries, the redirects and the retry of a request that met a
// connection the server had already closed.
#pragma once

#include <asyncrest/client/body_writer.hpp>
#include <asyncrest/client/cookie_jar.hpp>
#include <asyncrest/client/detail/body_part_access.hpp>
#include <asyncrest/client/detail/body_producer.hpp>
#include <asyncrest/client/detail/client_span.hpp>
#include <asyncrest/client/detail/deadline_budget.hpp>
#include <asyncrest/client/detail/pool.hpp>
#include <asyncrest/client/detail/proxy.hpp>
#include <asyncrest/client/detail/url.hpp>
#include <asyncrest/client/error.hpp>
#include <asyncrest/client/response.hpp>
#include <asyncrest/client/settings.hpp>
#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/core/result.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/http/detail/chunk_framing.hpp>
#include <asyncrest/http/detail/content_coding.hpp>

#include <asio/buffer.hpp>
#include <asio/connect.hpp>
#include <asio/error.hpp>
#include <asio/execution/context.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <asio/ssl/error.hpp>
#endif

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest::detail {

/// A request that met a pooled connection the server had closed before any byte of a response
/// arrived: safe to repeat once on a new connection when the method is idempotent.
class stale_connection_error : public connection_error {
 public:
  using connection_error::connection_error;
};

[[nodiscard]] inline bool is_idempotent(method verb) noexcept {
  return verb == method::get || verb == method::head || verb == method::put || verb == method::delete_ ||
         verb == method::options;
}

inline void check_executor(const client_state& state, const asio::any_io_executor& current) {
  if (&asio::query(current, asio::execution::context) != &asio::query(state.executor, asio::execution::context)) {
    throw std::logic_error(
        "asyncrest: a client was used from a coroutine on another execution context; "
        "use a client made for the coroutine's executor");
  }
}

// ---- acquiring a connection ---------------------------------------------------------------

/// Gives back what a waiter was handed if its request ends before using it.
struct waiter_guard {
  client_state& state;
  origin_pool& origin;
  pool_waiter& waiter;
  ~waiter_guard() {
    origin.unlink(waiter);
    if (waiter.handed) state.give_back(std::move(waiter.handed), true);
    if (waiter.may_open) state.unreserve(origin);
  }
};

inline asio::awaitable<connection_lease> acquire(std::shared_ptr<client_state> state, origin_pool& origin,
                                                 pending_operation& operation, bool fresh_only) {
  for (;;) {
    if (!fresh_only) {
      if (auto idle = state->take_idle(origin)) co_return connection_lease(state, std::move(idle));
    } else {
      state->evict_idle(origin);  // an idle connection of this origin gives its room to a new one
    }
    if (state->reserve(origin)) {
      co_return connection_lease(state, std::make_unique<client_connection>(state->executor, origin));
    }
    if (state->evict_idle_elsewhere(origin)) continue;

    operation.throw_if_expired();
    pool_waiter waiter(state->executor);
    origin.enqueue(waiter);
    waiter_guard guard{*state, origin, waiter};
    operation.timer = &waiter.timer;
    std::error_code error;
    co_await waiter.timer.async_wait(asio::redirect_error(asio::use_awaitable, error));
    operation.timer = nullptr;
    if (waiter.handed) co_return connection_lease(state, std::move(waiter.handed));
    if (waiter.may_open) {
      waiter.may_open = false;
      co_return connection_lease(state, std::make_unique<client_connection>(state->executor, origin));
    }
    operation.throw_if_expired();
    throw client_error(client_errc::cancelled, "the request was cancelled while waiting for a connection");
  }
}

// ---- connecting ---------------------------------------------------------------------------

inline void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

[[noreturn]] inline void throw_connect_failure(const pending_operation& operation, const parsed_url& url,
                                               const std::error_code& error, bool is_proxy = false) {
  operation.throw_if_expired();
  if (error == asio::error::operation_aborted) {
    throw client_error(client_errc::cancelled, "the request was cancelled while connecting");
  }
  throw connect_error(client_errc::connect_failed,
                      std::string(is_proxy ? "cannot connect to the proxy " : "cannot connect to ") + url.origin() +
                          ": " + error.message());
}

/// Opens a tunnel to `url`'s host and port through the proxy `connection` is connected to
/// (RFC 9110 §9.3.6), for TLS with the origin inside it.
inline asio::awaitable<void> open_tunnel(client_state& state, client_connection& connection, const parsed_url& url,
                                         const proxy_endpoint& proxy, pending_operation& operation) {
  const std::string target = url.authority_with_port();
  std::string request = "CONNECT " + target + " HTTP/1.1\r\n";
  append_field(request, "Host", target);
  if (!proxy.authorization.empty()) append_field(request, "Proxy-Authorization", proxy.authorization);
  if (!state.settings.user_agent.empty()) append_field(request, "User-Agent", state.settings.user_agent);
  request.append("\r\n");
  std::error_code error;
  co_await asio::async_write(connection.socket, asio::buffer(request),
                             asio::redirect_error(asio::use_awaitable, error));
  if (error) throw_connect_failure(operation, proxy.address, error, true);
  // The answer is a head without a body; nothing may follow it before the TLS handshake, which
  // the client starts, so reading past the head would only ever read a proxy's mistake.
  std::string answer;
  std::size_t head_end = std::string::npos;
  while (head_end == std::string::npos) {
    const std::size_t received = co_await connection.socket.async_read_some(
        asio::buffer(connection.buffer.get(), client_connection::buffer_size),
        asio::redirect_error(asio::use_awaitable, error));
    if (error) {
      operation.throw_if_expired();
      if (error == asio::error::operation_aborted) {
        throw client_error(client_errc::cancelled, "the request was cancelled while connecting");
      }
      throw connect_error(client_errc::proxy_refused, "the proxy " + proxy.address.origin() +
                                                          " closed the connection instead of opening a tunnel to " +
                                                          target + ": " + error.message());
    }
    operation.throw_if_expired();
    answer.append(connection.buffer.get(), received);
    head_end = answer.find("\r\n\r\n");
    if (head_end == std::string::npos && answer.size() > state.settings.max_header_bytes) {
      throw connect_error(client_errc::proxy_refused,
                          "the proxy " + proxy.address.origin() + " answered CONNECT with an endless header block");
    }
  }
  const std::string_view status_line = std::string_view(answer).substr(0, answer.find("\r\n"));
  unsigned status = 0;
  const bool well_formed =
      status_line.size() >= 12 && status_line.starts_with("HTTP/1.") && status_line[8] == ' ' &&
      std::from_chars(status_line.data() + 9, status_line.data() + 12, status).ptr == status_line.data() + 12;
  if (!well_formed) {
    throw connect_error(client_errc::proxy_refused, "the proxy " + proxy.address.origin() +
                                                        " did not answer CONNECT in HTTP/1.1: \"" +
                                                        std::string(status_line.substr(0, 80)) + "\"");
  }
  if (status < 200 || status > 299) {
    std::string why = "the proxy " + proxy.address.origin() + " refused a tunnel to " + target + ": \"" +
                      std::string(status_line.substr(9, 80)) + "\"";
    if (status == 407) {
      why += proxy.authorization.empty()
                 ? " (it wants credentials: give them in the proxy URL, http://user:password@host)"
                 : " (it did not accept the credentials of the proxy URL)";
    }
    throw connect_error(client_errc::proxy_refused, why);
  }
  if (head_end + 4 != answer.size()) {
    throw connect_error(client_errc::proxy_refused,
                        "the proxy " + proxy.address.origin() + " sent bytes after its answer to CONNECT");
  }
}

inline asio::awaitable<void> connect(client_state& state, client_connection& connection, const parsed_url& url,
                                     pending_operation& operation) {
  operation.begin_step(timeout_kind::connect, state.settings.timeouts.connect);
  operation.connection = &connection;
  // Through a proxy, TCP goes to the proxy; TLS, when the URL is https://, to the origin inside
  // the tunnel, with the origin's name for SNI and verification.
  const proxy_endpoint* proxy = connection.origin->proxy;
  const parsed_url& first_hop = proxy != nullptr ? proxy->address : url;
  std::error_code error;
  const asio::ip::address literal = asio::ip::make_address(first_hop.host, error);
  const bool first_hop_literal = !error;
  if (first_hop_literal) {
    co_await connection.socket.async_connect({literal, first_hop.port},
                                             asio::redirect_error(asio::use_awaitable, error));
  } else {
    asio::ip::tcp::resolver resolver(state.executor);
    operation.resolver = &resolver;
    error = {};
    auto endpoints = co_await resolver.async_resolve(first_hop.host, std::to_string(first_hop.port),
                                                     asio::redirect_error(asio::use_awaitable, error));
    operation.resolver = nullptr;
    if (error) throw_connect_failure(operation, first_hop, error, proxy != nullptr);
    operation.throw_if_expired();
    co_await asio::async_connect(connection.socket, endpoints, asio::redirect_error(asio::use_awaitable, error));
  }
  if (error) throw_connect_failure(operation, first_hop, error, proxy != nullptr);
  operation.throw_if_expired();
  connection.socket.set_option(asio::ip::tcp::no_delay(true), error);
  if (proxy != nullptr && url.tls && client_has_tls) co_await open_tunnel(state, connection, url, *proxy, operation);

  if (url.tls) {
#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
    const bool is_literal = proxy == nullptr ? first_hop_literal : [&url] {
      std::error_code not_an_address;
      static_cast<void>(asio::ip::make_address(url.host, not_an_address));
      return !not_an_address;
    }();
    connection.tls.emplace(std::move(connection.socket), state.tls_context());
    SSL* native = connection.tls->native_handle();
    if (is_literal) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(native), url.host.c_str());
    } else {
      SSL_set_tlsext_host_name(native, url.host.c_str());  // SNI: which certificate to present
      SSL_set1_host(native, url.host.c_str());             // and which name it must carry
    }
    co_await connection.tls->async_handshake(asio::ssl::stream_base::client,
                                             asio::redirect_error(asio::use_awaitable, error));
    if (error) {
      operation.throw_if_expired();
      if (error == asio::error::operation_aborted) {
        throw client_error(client_errc::cancelled, "the request was cancelled during the TLS handshake");
      }
      const long verify_result = SSL_get_verify_result(native);
      const std::string why = verify_result != X509_V_OK ? std::string("certificate verification failed: ") +
                                                               X509_verify_cert_error_string(verify_result)
                                                         : error.message();
      throw tls_error(client_errc::tls_failed, "TLS handshake with " + url.origin() + " failed: " + why);
    }
#else
    throw connect_error(client_errc::tls_unavailable,
                        "cannot fetch " + url.origin() +
                            ": this program was built without TLS; link the CMake target asyncrest::tls "
                            "(needs OpenSSL) to use https:// URLs");
#endif
  }
  operation.end_step();
  connection.connected = true;
}

// ---- one exchange -------------------------------------------------------------------------

/// A part's length; a file's is its size now; a stream's is the one it declared (zero when it
/// declared none: the body is chunked then, and no length is sent).
[[nodiscard]] inline std::uint64_t part_length(const request_body_part& part) {
  if (const body_producer* producer = request_body_part_access::producer(part)) return producer->length.value_or(0);
  if (!part.is_file()) return part.content().size();
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(part.file_path(), error);
  if (error) {
    throw client_error(client_errc::invalid_request,
                       "cannot send the file " + part.file_path().string() + ": " + error.message());
  }
  return size;
}

struct prepared_request {
  method verb = method::get;
  parsed_url url;
  headers fields;
  std::string body;
  bool decompress = true;  // ask for compressed responses, and decode them
  /// What the cookie jar sends to `url`, joined to a Cookie field set by hand.
  std::string jar_cookies;
  std::vector<request_body_part> body_parts;
  std::vector<std::uint64_t> part_lengths;  // taken once, for Content-Length
  std::uint64_t body_length = 0;            // of the body and its parts, files included
  /// A stream part without a length is among the parts: every part goes out as chunks.
  bool chunked = false;
  bool has_stream = false;

  /// Whether a stream part's producer has run: its body cannot be sent again.
  [[nodiscard]] bool stream_started() const noexcept {
    if (!has_stream) return false;
    return std::any_of(body_parts.begin(), body_parts.end(), [](const request_body_part& part) {
      const body_producer* producer = request_body_part_access::producer(part);
      return producer != nullptr && producer->started;
    });
  }
};

/// The Accept-Encoding a decompressing client sends: the codings this build decodes.
[[nodiscard]] constexpr std::string_view decodable_codings() noexcept {
  if constexpr (brotli_available && gzip_available) return "br, gzip";
  if constexpr (gzip_available) return "gzip";
  if constexpr (brotli_available) return "br";
  return "";
}

/// The coding of a response body this client should decode, if any: one Content-Encoding it
/// knows, on a body that is there.
[[nodiscard]] inline std::optional<content_coding> coding_to_decode(const client_response& response) {
  const std::optional<std::string_view> encoding = response.headers.get("Content-Encoding");
  if (!encoding) return std::nullopt;
  const std::optional<content_coding> coding = parse_coding(*encoding);
  if (!coding || *coding == content_coding::identity || !coding_available(*coding)) return std::nullopt;
  return coding;
}

/// Decodes a whole response's body in place, held to `limit` bytes.
inline void decode_response_body(client_response& response, std::size_t limit) {
  const std::optional<content_coding> coding = coding_to_decode(response);
  if (!coding || response.body.empty()) return;
  std::string decoded;
  switch (decode_whole(*coding, response.body, limit, decoded)) {
    case content_decoder::outcome::too_large:
      throw protocol_error(client_errc::response_too_large,
                           "the response body from " + response.url + ", decompressed, is larger than max_body_bytes");
    case content_decoder::outcome::corrupt:
    case content_decoder::outcome::more:
      throw protocol_error(client_errc::malformed_response,
                           "the response body from " + response.url + " is not a valid stream of its Content-Encoding");
    case content_decoder::outcome::done: break;
  }
  response.body = std::move(decoded);
  response.headers.erase("Content-Encoding");
  response.headers.erase("Content-Length");
}

/// The request line and header block. Through a proxy (`forward_proxy`, for http:// only) the
/// target is the absolute URL (RFC 9112 §3.2.2) and the proxy's credentials go along.
[[nodiscard]] inline std::string serialize_head(const prepared_request& request, const client_settings& settings,
                                                const proxy_endpoint* forward_proxy = nullptr) {
  std::string head;
  head.reserve(128 + request.url.target.size());
  head.append(to_string(request.verb));
  head.push_back(' ');
  if (forward_proxy != nullptr) head.append(request.url.origin());
  head.append(request.url.target);
  head.append(" HTTP/1.1\r\n");
  bool has_host = false;
  bool has_agent = false;
  bool has_cookie = false;
  for (const auto& [name, value] : request.fields) {
    if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding")) continue;
    has_host = has_host || iequals(name, "Host");
    has_agent = has_agent || iequals(name, "User-Agent");
    if (!request.jar_cookies.empty() && iequals(name, "Cookie")) {
      // One Cookie field only (RFC 6265 §5.4): the jar's pairs join the ones set by hand.
      if (has_cookie) continue;
      has_cookie = true;
      std::string joined(value);
      joined.append("; ");
      joined.append(request.jar_cookies);
      append_field(head, name, joined);
      continue;
    }
    append_field(head, name, value);
  }
  if (!has_host) append_field(head, "Host", request.url.authority());
  if (!has_agent && !settings.user_agent.empty()) append_field(head, "User-Agent", settings.user_agent);
  if (request.decompress && !decodable_codings().empty() && !request.fields.contains("Accept-Encoding")) {
    append_field(head, "Accept-Encoding", decodable_codings());
  }
  if (!has_cookie && !request.jar_cookies.empty()) append_field(head, "Cookie", request.jar_cookies);
  if (forward_proxy != nullptr && !forward_proxy->authorization.empty()) {
    append_field(head, "Proxy-Authorization", forward_proxy->authorization);
  }
  if (request.chunked) {
    append_field(head, "Transfer-Encoding", "chunked");
  } else if (request.body_length != 0 || request.verb == method::post || request.verb == method::put ||
             request.verb == method::patch) {
    std::array<char, 24> digits{};
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), request.body_length).ptr;
    append_field(head, "Content-Length",
                 std::string_view(digits.data(), static_cast<std::size_t>(end - digits.data())));
  }
  head.append("\r\n");
  return head;
}

inline void check_fields(const headers& fields) {
  for (const auto& [name, value] : fields) {
    const bool name_ok = !name.empty() && std::all_of(name.begin(), name.end(), is_token_character);
    const bool value_ok = std::none_of(value.begin(), value.end(), [](char character) {
      return character == '\r' || character == '\n' || character == '\0';
    });
    if (!name_ok || !value_ok) {
      throw client_error(client_errc::invalid_request, "the header field \"" + std::string(name) +
                                                           "\" cannot be sent: a name must be a token and a value "
                                                           "must not hold CR, LF or NUL");
    }
  }
}

/// Where one exchange stands, for the caller that decides what to do with it.
struct exchange_state {
  connection_lease lease;
  client_response response;
  bool head_request = false;
};

[[noreturn]] inline void throw_read_failure(const pending_operation& operation, const client_connection& connection,
                                            const std::error_code& error, bool reused) {
  operation.throw_if_expired();
  if (error == asio::error::operation_aborted) throw client_error(client_errc::cancelled, "the request was cancelled");
  const std::string text = "the connection broke: " + error.message();
  if (reused && !connection.parser.started()) throw stale_connection_error(client_errc::connection_closed, text);
  throw connection_error(client_errc::connection_closed, text);
}

[[noreturn]] inline void throw_parse_failure(const client_connection& connection, bool reused) {
  const response_parser& parser = connection.parser;
  if (parser.error_is_early_close()) {
    if (reused && !parser.started()) throw stale_connection_error(client_errc::connection_closed, parser.error());
    throw connection_error(client_errc::connection_closed, parser.error());
  }
  if (parser.error_is_limit()) throw protocol_error(client_errc::response_too_large, parser.error());
  throw protocol_error(client_errc::malformed_response, parser.error());
}

[[nodiscard]] inline bool is_end_of_stream(const std::error_code& error) noexcept {
#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
  // A server that closes without TLS's close_notify: the framing decides whether that was early.
  if (error == asio::ssl::error::stream_truncated) return true;
#endif
  return error == asio::error::eof;
}

/// Reads until the parser has the whole head (`until_head`) or the whole message. Returns
/// whether the message is complete.
/// Each read waits at most `read_limit` (zero: no limit).
template <class Stream>
asio::awaitable<bool> read_response(Stream& stream, client_connection& connection, pending_operation& operation,
                                    std::chrono::milliseconds read_limit, bool reused, bool until_head,
                                    bool& extra_bytes) {
  response_parser& parser = connection.parser;
  for (;;) {
    operation.begin_step(timeout_kind::read, read_limit);
    std::error_code error;
    const std::size_t received =
        co_await stream.async_read_some(asio::buffer(connection.buffer.get(), client_connection::buffer_size),
                                        asio::redirect_error(asio::use_awaitable, error));
    operation.end_step();
    operation.throw_if_expired();
    response_parser::event event;
    if (error) {
      if (!is_end_of_stream(error)) throw_read_failure(operation, connection, error, reused);
      event = parser.finish();
    } else {
      std::size_t consumed = 0;
      event = parser.feed(connection.buffer.get(), received, consumed);
      extra_bytes = consumed < received;
    }
    if (event == response_parser::event::error) throw_parse_failure(connection, reused);
    if (event == response_parser::event::complete) co_return true;
    if (until_head && parser.headers_complete()) co_return false;
  }
}

/// Closes a file descriptor however the write of a body part ends.
struct descriptor_guard {
  int descriptor;
  ~descriptor_guard() {
    if (descriptor >= 0) ::close(descriptor);
  }
};

/// Where the body goes after the head: one socket, each write under the read timeout, each
/// piece a chunk when the body is chunked. A stream part's writer sends through it.
template <class Stream>
struct body_channel {
  Stream& stream;
  client_connection& connection;
  pending_operation& operation;
  const client_settings& settings;
  bool reused = false;
  bool chunked = false;
  /// Set when the socket refused a write, as opposed to a producer that threw: the server may
  /// have answered before it stopped reading.
  bool write_failed = false;

  asio::awaitable<void> send(std::string_view piece) {
    if (piece.empty()) co_return;  // an empty chunk would end the body
    const chunk_size_line size_line(piece.size());
    const std::string_view before = chunked ? size_line.text() : std::string_view{};
    const std::string_view after = chunked ? chunk_end : std::string_view{};
    const std::array<asio::const_buffer, 3> buffers{asio::buffer(before), asio::buffer(piece), asio::buffer(after)};
    co_await write(buffers);
  }

  /// Ends a chunked body.
  asio::awaitable<void> finish() {
    if (chunked) co_await write(std::array<asio::const_buffer, 1>{asio::buffer(last_chunk)});
  }

  static asio::awaitable<void> send_erased(void* self, std::string_view piece) {
    return static_cast<body_channel*>(self)->send(piece);
  }

 private:
  template <class Buffers>
  asio::awaitable<void> write(const Buffers& buffers) {
    operation.begin_step(timeout_kind::read, settings.timeouts.read);
    std::error_code error;
    co_await asio::async_write(stream, buffers, asio::redirect_error(asio::use_awaitable, error));
    operation.end_step();
    if (error) {
      write_failed = true;
      throw_read_failure(operation, connection, error, reused);
    }
    operation.throw_if_expired();
  }
};

/// Runs a stream part's producer once, its writes going to `channel`.
template <class Stream>
asio::awaitable<void> write_stream_part(body_channel<Stream>& channel, body_producer& producer) {
  if (producer.started) {
    throw client_error(client_errc::invalid_request, "a stream body can be sent once; this one was sent already");
  }
  producer.started = true;
  client_body_writer out =
      client_body_writer_access::make(&channel, &body_channel<Stream>::send_erased, producer.length);
  co_await producer.run(producer, out);
  if (producer.length && out.bytes_written() != *producer.length) {
    // The Content-Length sent no longer fits: the connection cannot carry another request.
    throw client_error(client_errc::invalid_request, "a stream body wrote " + std::to_string(out.bytes_written()) +
                                                         " bytes of the " + std::to_string(*producer.length) +
                                                         " it declared");
  }
}

/// Writes the parts after the body: bytes as they are, files read a block at a time, so that a
/// file of any size costs one block of memory, streams as their producers write them.
template <class Stream>
asio::awaitable<void> write_body_parts(body_channel<Stream>& channel, const prepared_request& request) {
  std::unique_ptr<char[]> block;
  constexpr std::size_t block_size = 64 * 1024;
  for (std::size_t index = 0; index < request.body_parts.size(); ++index) {
    const request_body_part& part = request.body_parts[index];
    if (body_producer* producer = request_body_part_access::producer(part)) {
      co_await write_stream_part(channel, *producer);
      continue;
    }
    if (!part.is_file()) {
      co_await channel.send(part.content());
      continue;
    }
    if (!block) block = std::make_unique<char[]>(block_size);
    const std::string path = part.file_path().string();
    descriptor_guard file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (file.descriptor < 0) {
      throw client_error(client_errc::invalid_request, "cannot read " + path + ": " + std::strerror(errno));
    }
    const std::uint64_t expected = request.part_lengths[index];
    std::uint64_t sent = 0;
    for (;;) {
      const ::ssize_t got = ::read(file.descriptor, block.get(), block_size);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0)
        throw client_error(client_errc::invalid_request, "cannot read " + path + ": " + std::strerror(errno));
      if (got == 0) break;
      sent += static_cast<std::uint64_t>(got);
      if (sent > expected) break;
      co_await channel.send(std::string_view(block.get(), static_cast<std::size_t>(got)));
    }
    if (sent != expected) {
      // The Content-Length sent no longer fits: the connection cannot carry another request.
      throw client_error(client_errc::invalid_request, "the file " + path + " changed size while it was sent");
    }
  }
  co_await channel.finish();
}

template <class Stream>
asio::awaitable<bool> exchange_on(Stream& stream, exchange_state& exchange, const prepared_request& request,
                                  pending_operation& operation, const client_settings& settings, bool until_head,
                                  std::string* body_sink, std::size_t body_limit) {
  client_connection& connection = *exchange.lease;
  const bool reused = connection.exchanges > 0;
  const proxy_endpoint* proxy = connection.origin->proxy;
  const std::string head = serialize_head(request, settings, proxy != nullptr && !request.url.tls ? proxy : nullptr);
  connection.parser.begin(request.verb == method::head, settings.max_header_bytes);
  connection.parser.set_body_sink(body_sink, body_limit);

  operation.begin_step(timeout_kind::read, settings.timeouts.read);
  operation.connection = &connection;
  std::error_code error;
  // A chunked body's first bytes are a chunk of their own, written after the head.
  const std::string_view with_head = request.chunked ? std::string_view{} : std::string_view(request.body);
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(with_head)};
  co_await asio::async_write(stream, buffers, asio::redirect_error(asio::use_awaitable, error));
  operation.end_step();
  if (error) throw_read_failure(operation, connection, error, reused);
  operation.throw_if_expired();
  if (request.chunked || !request.body_parts.empty()) {
    body_channel<Stream> channel{stream, connection, operation, settings, reused, request.chunked};
    std::exception_ptr write_failure;
    try {
      if (request.chunked) co_await channel.send(request.body);
      co_await write_body_parts(channel, request);
    } catch (const connection_error&) {
      if (!channel.write_failed) throw;
      write_failure = std::current_exception();
    }
    if (write_failure) {
      // A server that refuses a body (413, say) may answer and close before reading all of it;
      // its answer, when it arrived whole, says more than the broken write.
      bool answered = false;
      bool ignored_extra = false;
      try {
        answered =
            co_await read_response(stream, connection, operation, settings.timeouts.read, false, false, ignored_extra);
      } catch (...) {
        answered = false;
      }
      if (!answered) std::rethrow_exception(write_failure);
      exchange.lease.reusable = false;  // the server saw part of the body
      co_return true;
    }
  }

  bool extra_bytes = false;
  const bool complete =
      co_await read_response(stream, connection, operation, settings.timeouts.read, reused, until_head, extra_bytes);
  if (complete) {
    ++connection.exchanges;
    exchange.lease.reusable = connection.parser.keep_alive() && !extra_bytes;
  }
  co_return complete;
}

inline void fill_head(client_response& response, client_connection& connection, const parsed_url& url) {
  response.status = connection.parser.status_code();
  for (auto& [name, value] : connection.parser.fields()) response.headers.add(name, value);
  response.url = url.text();
}

/// Forgets the operation's connection however the exchange ends, so that a cancellation arriving
/// later touches no connection. (At namespace scope: GCC 12 cannot always mangle a local class of
/// a coroutine.)
struct operation_detach {
  pending_operation& operation;
  ~operation_detach() { operation.connection = nullptr; }
};

/// One attempt: a connection, the request written, the response read (only its head when
/// `until_head`, leaving the connection in the returned state for the body).
inline asio::awaitable<exchange_state> attempt(std::shared_ptr<client_state> state, const prepared_request& request,
                                               pending_operation& operation, bool fresh_only, bool until_head,
                                               std::string* stream_sink) {
  origin_pool& origin = state->origin_for(request.url, state->proxies.select(request.url));
  exchange_state exchange;
  exchange.lease = co_await acquire(state, origin, operation, fresh_only);
  operation_detach detach{operation};
  client_connection& connection = *exchange.lease;
  if (!connection.connected) co_await connect(*state, connection, request.url, operation);

  std::string* sink = until_head ? stream_sink : &exchange.response.body;
  const std::size_t limit = until_head ? std::numeric_limits<std::size_t>::max() : state->settings.max_body_bytes;
  bool complete = false;
#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
  if (connection.tls) {
    complete =
        co_await exchange_on(*connection.tls, exchange, request, operation, state->settings, until_head, sink, limit);
  } else
#endif
  {
    complete =
        co_await exchange_on(connection.socket, exchange, request, operation, state->settings, until_head, sink, limit);
  }
  fill_head(exchange.response, connection, request.url);
  if (complete) exchange.lease.release();  // back to the pool before the caller looks at it
  co_return exchange;
}

// ---- retries and redirects ----------------------------------------------------------------

[[nodiscard]] inline bool is_redirect(status code) noexcept {
  const unsigned number = to_number(code);
  return number == 301 || number == 302 || number == 303 || number == 307 || number == 308;
}

/// The wait before retry number `retry` (1 for the first), or the server's Retry-After.
[[nodiscard]] inline std::chrono::milliseconds backoff_delay(client_state& state, unsigned retry,
                                                             const client_response* response) {
  const retry_policy& policy = state.settings.retries;
  if (response != nullptr) {
    if (auto retry_after = response->headers.get("Retry-After")) {
      unsigned seconds = 0;
      const auto [end, error] =
          std::from_chars(retry_after->data(), retry_after->data() + retry_after->size(), seconds);
      if (error == std::errc{} && end == retry_after->data() + retry_after->size()) {
        return std::min<std::chrono::milliseconds>(std::chrono::seconds(seconds), policy.max_backoff);
      }
    }
  }
  const double growth = std::pow(std::max(1.0, policy.multiplier), static_cast<double>(retry - 1));
  const double full = std::min(static_cast<double>(policy.initial_backoff.count()) * growth,
                               static_cast<double>(policy.max_backoff.count()));
  std::uniform_real_distribution<double> share(0.0, std::clamp(policy.jitter, 0.0, 1.0));
  return std::chrono::milliseconds(static_cast<std::int64_t>(full * (1.0 - share(state.random))));
}

inline asio::awaitable<void> sleep_for(client_state& state, pending_operation& operation,
                                       std::chrono::milliseconds delay) {
  operation.throw_if_expired();
  asio::steady_timer timer(state.executor, delay);
  operation.timer = &timer;
  std::error_code error;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, error));
  operation.timer = nullptr;
  operation.throw_if_expired();
  if (error == asio::error::operation_aborted) {
    throw client_error(client_errc::cancelled, "the request was cancelled while waiting to retry");
  }
}

[[nodiscard]] inline bool is_retryable(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const tls_error&) {
    return false;  // an untrusted certificate stays untrusted
  } catch (const timeout_error& timeout) {
    return timeout.code() != client_errc::total_timeout;
  } catch (const connect_error& failure) {
    return failure.code() == client_errc::connect_failed;
  } catch (const connection_error&) {
    return true;
  } catch (...) {
    return false;
  }
}

// Fills `out` rather than returning it: g++ 12 mis-compiles a coroutine local initialized from
// a returned aggregate that holds strings.
inline void prepare(const client_state& state, client_request& request, prepared_request& out) {
  if (request.method == method::other) {
    throw client_error(client_errc::invalid_request, "method::other names no method that can be sent");
  }
  check_fields(request.headers);
  out.verb = request.method;
  if (state.base_url && !has_scheme(request.url)) {
    out.url = resolve_reference(*state.base_url, request.url);
  } else if (!has_scheme(request.url) && !request.url.starts_with("//")) {
    throw_invalid_url(request.url, "a relative URL needs client_settings::base_url");
  } else {
    out.url = parse_url(request.url);
  }
  out.fields = std::move(request.headers);
  for (const auto& [name, value] : state.settings.default_headers) {
    if (!out.fields.contains(name)) out.fields.add(name, value);
  }
  out.body = std::move(request.body);
  out.body_parts = std::move(request.body_parts);
  out.body_length = out.body.size();
  out.part_lengths.clear();
  out.chunked = false;
  out.has_stream = false;
  for (const request_body_part& part : out.body_parts) {
    out.part_lengths.push_back(part_length(part));
    out.body_length += out.part_lengths.back();
    if (const body_producer* producer = request_body_part_access::producer(part)) {
      if (producer->started) {
        throw client_error(client_errc::invalid_request, "a stream body can be sent once; this one was sent already");
      }
      out.has_stream = true;
      out.chunked = out.chunked || !producer->length;
    }
  }
}

/// Runs attempts until a final response: follows redirects, retries what the policy allows.
/// `until_head`: stop after the final response's head, keeping its connection in the result.
inline asio::awaitable<exchange_state> run_request(std::shared_ptr<client_state> state, prepared_request& request,
                                                   pending_operation& operation, bool until_head,
                                                   std::string* stream_sink) {
  const retry_policy& policy = state->settings.retries;
  unsigned retries = 0;
  unsigned redirects = 0;
  bool stale_retry_used = false;
  bool fresh_only = false;
  cookie_jar* const jar = state->settings.cookies.get();
  for (;;) {
    if (jar != nullptr) request.jar_cookies = cookie_jar_access::header_for(*jar, request.url);
    const bool may_retry = policy.max_retries > retries && (is_idempotent(request.verb) || policy.retry_non_idempotent);
    std::exception_ptr failure;
    std::optional<exchange_state> outcome;
    try {
      outcome.emplace(co_await attempt(state, request, operation, fresh_only, until_head, stream_sink));
    } catch (const stale_connection_error&) {
      if (stale_retry_used || !is_idempotent(request.verb) || request.stream_started())
        throw connection_error(client_errc::connection_closed,
                               "the server closed the connection "
                               "before answering");
      stale_retry_used = true;
      fresh_only = true;
      continue;
    } catch (...) {
      failure = std::current_exception();
    }
    fresh_only = false;
    // Every response sets cookies, a redirect's included, before anything else is decided.
    if (outcome && jar != nullptr) cookie_jar_access::store_response(*jar, request.url, outcome->response.headers);
    if (failure) {
      // A stream body cannot be produced twice: once its producer has run, no retry.
      if (!may_retry || request.stream_started() || !is_retryable(failure)) std::rethrow_exception(failure);
      ++retries;
      co_await sleep_for(*state, operation, backoff_delay(*state, retries, nullptr));
      continue;
    }

    client_response& response = outcome->response;
    const unsigned number = to_number(response.status);
    const bool drops_body = number == 303 || ((number == 301 || number == 302) && request.verb == method::post);
    // A redirect that keeps the body (307, 308) would send a stream body a second time, which
    // its producer cannot write: the caller gets the redirect, with its Location, as it is.
    const bool may_follow = drops_body || !request.has_stream;
    if (is_redirect(response.status) && state->settings.redirects.max_redirects > 0 && may_follow) {
      const auto location = response.headers.get("Location");
      if (location) {
        if (redirects >= state->settings.redirects.max_redirects) {
          throw client_error(client_errc::too_many_redirects,
                             "more than " + std::to_string(state->settings.redirects.max_redirects) +
                                 " redirects, the last to " + std::string(*location));
        }
        ++redirects;
        parsed_url next = resolve_location(request.url, *location);
        if (next.origin() != request.url.origin()) request.fields.erase("Authorization").erase("Cookie");
        if (drops_body) {
          if (request.verb != method::head) request.verb = method::get;
          request.body.clear();
          request.body_parts.clear();
          request.part_lengths.clear();
          request.body_length = 0;
          request.chunked = false;
          request.has_stream = false;
          request.fields.erase("Content-Type");
        }
        request.url = std::move(next);
        if (stream_sink != nullptr) stream_sink->clear();
        continue;  // the redirect's lease closes its connection if its body was not read
      }
    }
    const auto& statuses = policy.retry_statuses;
    if (may_retry && !request.stream_started() &&
        std::find(statuses.begin(), statuses.end(), to_number(response.status)) != statuses.end()) {
      ++retries;
      const auto delay = backoff_delay(*state, retries, &response);
      outcome.reset();
      if (stream_sink != nullptr) stream_sink->clear();
      co_await sleep_for(*state, operation, delay);
      continue;
    }
    if (state->settings.raise_for_status) response.raise_for_status();
    co_return std::move(*outcome);
  }
}

[[nodiscard]] inline std::chrono::milliseconds total_limit(const client_state& state, const client_request& request) {
  return request.timeout.value_or(state.settings.timeouts.total);
}

/// Times a call and tells the client's observer how it ended; a client nobody observes reads
/// no clock.
class call_measure {
 public:
  explicit call_measure(const client_state& state) noexcept : observer_(state.observer) {
    if (observer_) started_ = client_clock::now();
  }
  void answered(const parsed_url& url, method verb, status code) const noexcept {
    if (observer_) observer_.call_ended(observer_.target, url, verb, &code, {}, seconds());
  }
  void failed(const parsed_url& url, method verb, std::error_code why) const noexcept {
    if (observer_) observer_.call_ended(observer_.target, url, verb, nullptr, why, seconds());
  }

 private:
  [[nodiscard]] double seconds() const noexcept {
    return std::chrono::duration<double>(client_clock::now() - started_).count();
  }
  client_observer observer_;
  client_clock::time_point started_{};
};

inline asio::awaitable<client_response> perform(std::shared_ptr<client_state> state, client_request request) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  check_executor(*state, executor);
  // Before the span starts: a call with no time left is not made, and records nothing.
  const std::chrono::milliseconds limit = within_deadline(total_limit(*state, request), ambient_deadline(executor));
  client_span span;
  span.start(request.parent != nullptr ? request.parent : ambient_span(executor), request.headers);
  prepared_request prepared;
  prepare(*state, request, prepared);
  prepared.decompress = request.decompress.value_or(state->settings.decompress);
  const method verb = prepared.verb;  // a 303 turns the request into a GET; the call stays what it was
  const call_measure measure(*state);
  pending_registration registration(*state, limit);
  std::optional<exchange_state> outcome;
  try {
    outcome.emplace(co_await run_request(state, prepared, registration.operation, false, nullptr));
  } catch (const http_status_error& error) {  // raise_for_status: the call had its response
    span.finish(prepared.verb, prepared.url, error.status());
    measure.answered(prepared.url, verb, error.status());
    throw;
  } catch (const client_error& error) {
    span.finish(prepared.verb, prepared.url, std::nullopt, client_error_type(error));
    measure.failed(prepared.url, verb, error.code());
    throw;
  } catch (...) {
    span.finish(prepared.verb, prepared.url, std::nullopt);
    measure.failed(prepared.url, verb, {});
    throw;
  }
  // Decoded before the call is recorded: a body that does not decode (or grows past the limit)
  // makes the call a failure, in its span and its metrics as for its caller.
  if (prepared.decompress) {
    try {
      decode_response_body(outcome->response, state->settings.max_body_bytes);
    } catch (const client_error& error) {
      span.finish(prepared.verb, prepared.url, std::nullopt, client_error_type(error));
      measure.failed(prepared.url, verb, error.code());
      throw;
    }
  }
  span.finish(prepared.verb, prepared.url, outcome->response.status);
  measure.answered(prepared.url, verb, outcome->response.status);
  co_return std::move(outcome->response);
}

// ---- streaming ----------------------------------------------------------------------------

/// A response whose body is still on its connection.
struct stream_exchange {
  stream_exchange(std::shared_ptr<client_state> owner, std::chrono::milliseconds total)
      : state(std::move(owner)), registration(std::in_place, *state, total) {}

  std::shared_ptr<client_state> state;
  std::optional<pending_registration> registration;
  connection_lease lease;
  client_response head;
  std::string piece;                                                      // the body bytes of the last read
  bool piece_unread = false;                                              // body bytes that arrived with the head
  std::chrono::milliseconds read_timeout{state->settings.timeouts.read};  // for the body's reads
  bool finished = false;
  bool reused = false;
  // Set when the body is decoded as it is read (client_settings::decompress).
  std::unique_ptr<content_decoder> decoder;
  std::string decoded;  // the decoded bytes of the last read
  bool compressed_bytes_read = false;
};

inline asio::awaitable<std::unique_ptr<stream_exchange>> open_stream(std::shared_ptr<client_state> state,
                                                                     client_request request) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  check_executor(*state, executor);
  prepared_request prepared;
  prepare(*state, request, prepared);
  prepared.decompress = request.decompress.value_or(state->settings.decompress);
  const method verb = prepared.verb;
  const call_measure measure(*state);  // a stream's call ends, for its metrics, with its head
  auto exchange = std::make_unique<stream_exchange>(
      state, within_deadline(total_limit(*state, request), ambient_deadline(executor)));
  std::optional<exchange_state> received;
  try {
    received.emplace(co_await run_request(state, prepared, exchange->registration->operation, true, &exchange->piece));
  } catch (const http_status_error& error) {
    measure.answered(prepared.url, verb, error.status());
    throw;
  } catch (const client_error& error) {
    measure.failed(prepared.url, verb, error.code());
    throw;
  } catch (...) {
    measure.failed(prepared.url, verb, {});
    throw;
  }
  exchange_state& outcome = *received;
  measure.answered(prepared.url, verb, outcome.response.status);
  exchange->head = std::move(outcome.response);
  if (const std::optional<content_coding> coding = coding_to_decode(exchange->head);
      prepared.decompress && coding && prepared.verb != method::head) {
    exchange->decoder = std::make_unique<content_decoder>(*coding, std::numeric_limits<std::size_t>::max());
    exchange->head.headers.erase("Content-Encoding");
    exchange->head.headers.erase("Content-Length");
  }
  exchange->piece_unread = !exchange->piece.empty();
  if (outcome.lease.get() == nullptr) {  // the whole message came with the head
    exchange->finished = true;
    exchange->registration.reset();
  } else {
    exchange->reused = outcome.lease->exchanges > 0;
    exchange->lease = std::move(outcome.lease);
  }
  co_return exchange;
}

inline asio::awaitable<std::string_view> read_raw_body_piece(stream_exchange& exchange);

/// The next piece of a streamed body, decoded when it is compressed. A decoded piece holds at
/// most about this much: a small compressed read may expand a thousandfold.
inline constexpr std::size_t decoded_piece_limit = 64 * 1024;

inline asio::awaitable<std::string_view> read_body_piece(stream_exchange& exchange) {
  if (!exchange.decoder) co_return co_await read_raw_body_piece(exchange);
  content_decoder& decoder = *exchange.decoder;
  exchange.decoded.clear();
  for (;;) {
    std::string_view raw;
    if (!decoder.has_more()) {
      raw = co_await read_raw_body_piece(exchange);
      if (raw.empty()) {
        if (!decoder.finished() && exchange.compressed_bytes_read) {
          throw protocol_error(client_errc::malformed_response, "the response body from " + exchange.head.url +
                                                                    " ends before its compressed stream does");
        }
        co_return std::string_view{};
      }
    }
    exchange.compressed_bytes_read = exchange.compressed_bytes_read || !raw.empty();
    if (decoder.write(raw, exchange.decoded, decoded_piece_limit) == content_decoder::outcome::corrupt) {
      throw protocol_error(client_errc::malformed_response, "the response body from " + exchange.head.url +
                                                                " is not a valid stream of its Content-Encoding");
    }
    if (!exchange.decoded.empty()) co_return std::string_view(exchange.decoded);
  }
}

inline asio::awaitable<std::string_view> read_raw_body_piece(stream_exchange& exchange) {
  if (exchange.piece_unread) {
    exchange.piece_unread = false;
    co_return std::string_view(exchange.piece);
  }
  exchange.piece.clear();
  if (exchange.finished) co_return std::string_view{};
  check_executor(*exchange.state, co_await asio::this_coro::executor);
  pending_operation& operation = exchange.registration->operation;
  client_connection& connection = *exchange.lease;
  operation.connection = &connection;
  operation_detach detach{operation};
  const std::chrono::milliseconds read_limit = exchange.read_timeout;
  bool extra_bytes = false;
  bool complete = false;
  // Read until some body arrives or the message ends; the sink is the piece.
  while (exchange.piece.empty() && !complete) {
#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
    if (connection.tls) {
      complete = co_await read_response(*connection.tls, connection, operation, read_limit, false, true, extra_bytes);
    } else
#endif
    {
      complete = co_await read_response(connection.socket, connection, operation, read_limit, false, true, extra_bytes);
    }
  }
  if (complete) {
    ++connection.exchanges;
    exchange.lease.reusable = connection.parser.keep_alive() && !extra_bytes;
    exchange.lease.release();
    exchange.finished = true;
    exchange.registration.reset();
  }
  co_return std::string_view(exchange.piece);
}

// ---- the error-code form ------------------------------------------------------------------

template <class Value>
asio::awaitable<result<Value>> capture(asio::awaitable<Value> operation) {
  std::exception_ptr error;
  try {
    co_return result<Value>(co_await std::move(operation));
  } catch (...) {
    error = std::current_exception();
  }
  co_return result<Value>(failure::from(error));
}

}  // namespace asyncrest::detail
