// The test client's exchange: a client_request made into the request the server would hand the
// app, answered through the dispatcher as the connection answers it (start_answer and
// finish_answer), framed by the server's own response writer, and its body collected. Included at
// the end of server/test_client.hpp.
#pragma once

#include <asyncrest/client/error.hpp>
#include <asyncrest/client/response.hpp>
#include <asyncrest/core/detail/field_rules.hpp>
#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/http/detail/request_parser.hpp>
#include <asyncrest/server/body.hpp>
#include <asyncrest/server/detail/body_source_access.hpp>
#include <asyncrest/server/detail/body_states.hpp>
#include <asyncrest/server/detail/dispatcher.hpp>
#include <asyncrest/server/detail/request_memory.hpp>
#include <asyncrest/server/detail/request_target.hpp>
#include <asyncrest/server/detail/response_writer.hpp>
#include <asyncrest/server/detail/stream_sender.hpp>
#include <asyncrest/server/detail/test_exchange.hpp>
#include <asyncrest/server/detail/worker.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>
#include <asyncrest/server/test_client.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest::detail {

/// The request target and Host of a test client's URL: a path as it is, an absolute http:// URL
/// split at its authority. Throws `client_error` (`invalid_url`) for anything else, and for a
/// target with bytes that cannot be sent (the client sends paths already percent-encoded).
struct test_target {
  std::string target;
  std::optional<std::string> host;
};

inline test_target split_test_url(const std::string& url) {
  test_target split;
  const std::string_view text = url;
  if (text.starts_with("http://") || text.starts_with("https://")) {
    const std::size_t authority = text.find("://") + 3;
    const std::size_t path = text.find_first_of("/?#", authority);
    split.host = std::string(text.substr(authority, path - authority));
    const std::string_view rest = path == std::string_view::npos ? std::string_view{} : text.substr(path);
    if (rest.empty() || rest.front() != '/') split.target.push_back('/');  // "?q" is "/?q"
    split.target.append(rest);
  } else if (text.starts_with("/") || text == "*") {
    split.target = url;
  } else {
    throw client_error(client_errc::invalid_url,
                       "a test client's URL is a path (\"/users/42\") or an absolute http:// URL: " + url);
  }
  split.target = split.target.substr(0, split.target.find('#'));  // a fragment is not sent
  for (const char character : split.target) {
    if (static_cast<unsigned char>(character) <= 0x20 || character == 0x7F) {
      throw client_error(client_errc::invalid_url, "the URL's path and query must be percent-encoded: " + url);
    }
  }
  return split;
}

/// Gives the request memory back to the thread's pool however the exchange ends (its coroutine
/// destroyed with the event loop, too).
struct request_memory_loan {
  std::unique_ptr<request_memory> memory;
  request_memory_loan(const request_limits& limits, const asio::ip::tcp::endpoint& remote)
      : memory(acquire_request_memory(limits, remote)) {}
  request_memory_loan(const request_memory_loan&) = delete;
  request_memory_loan& operator=(const request_memory_loan&) = delete;
  ~request_memory_loan() { release_request_memory(std::move(memory)); }
};

/// The request's fields as the client sends them: Host and User-Agent unless set, the defaults
/// under the request's own, and the body's framing (Content-Length, or Transfer-Encoding for a
/// stream without a length) in place of any the request set.
inline void add_request_fields(workspace& space, const test_client_settings& settings, const client_request& outgoing,
                               const test_target& target, std::optional<std::uint64_t> body_length) {
  const auto add = [&space](std::string_view name, std::string_view value) {
    if (is_unsafe_field(name, value)) {
      throw client_error(client_errc::invalid_request, "the header field " + std::string(name) +
                                                           " cannot be sent (a CR, LF or other control "
                                                           "character, or a name that is not a token)");
    }
    space.headers.push_back({space.keep(std::string(name)), space.keep(std::string(value))});
  };
  const auto framing_field = [](std::string_view name) {
    return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding");
  };
  if (!outgoing.headers.contains("Host") && !settings.default_headers.contains("Host")) {
    add("Host", target.host ? *target.host : settings.host);
  }
  if (!outgoing.headers.contains("User-Agent") && !settings.default_headers.contains("User-Agent")) {
    add("User-Agent", settings.user_agent);
  }
  for (const auto& [name, value] : settings.default_headers) {
    if (!outgoing.headers.contains(name) && !framing_field(name)) add(name, value);
  }
  for (const auto& [name, value] : outgoing.headers) {
    if (!framing_field(name)) add(name, value);
  }
  if (!body_length) {
    add("Transfer-Encoding", "chunked");
  } else if (*body_length != 0 || !outgoing.body_parts.empty()) {
    add("Content-Length", std::to_string(*body_length));
  }
}

/// Whether the request's Connection field asks to close after the response.
[[nodiscard]] inline bool asks_to_close(const std::vector<header_view>& fields) noexcept {
  for (const header_view& field : fields) {
    if (iequals(field.name, "Connection") && iequals(trim_optional_whitespace(field.value), "close")) return true;
  }
  return false;
}

/// Reads a file body's bytes as the server would send them, a block at a time.
inline task<void> deliver_file(exchange_channel& channel, const file_body_state& body) {
  static constexpr std::size_t block = 64 * 1024;
  std::string piece;
  std::uint64_t offset = body.offset;
  std::uint64_t remaining = body.length;
  while (remaining > 0) {
    piece.resize(static_cast<std::size_t>(std::min<std::uint64_t>(remaining, block)));
    const ssize_t read = ::pread(body.descriptor, piece.data(), piece.size(), static_cast<off_t>(offset));
    if (read < 0 && errno == EINTR) continue;
    if (read <= 0) {
      // The server closes the connection here, after the head: the client sees the body cut short.
      throw connection_error(client_errc::connection_closed,
                             "the file body is shorter than when it was opened, or cannot be read");
    }
    piece.resize(static_cast<std::size_t>(read));
    offset += static_cast<std::uint64_t>(read);
    remaining -= static_cast<std::uint64_t>(read);
    if (!deliver_piece(channel, piece)) co_return;
    co_await give_reader_a_turn();
  }
}

/// Runs a stream's producer as the connection does (send_stream), through a stream_sender whose
/// writes go to the channel rather than a socket.
inline task<void> deliver_stream(exchange_channel& channel, request& message, response& answer,
                                 stream_body_state& source, response_framing framing) {
  const std::uint64_t declared_length = source.length.value_or(0);
  framing.body = source.length ? body_framing::content_length : body_framing::chunked;
  std::string head;
  append_response_head(head, answer, framing, declared_length);
  read_written_head(head, answer.status, channel.head);
  if (framing.head_request || status_forbids_body(answer.status)) {
    channel.head_ready = true;  // the producer does not run
    co_return;
  }
  // The sender's connection is a socket that is never opened: the executor of this event loop
  // for what the stream spawns (an event stream's heartbeat), and a drain that never comes.
  asio::ip::tcp::socket unopened(co_await asio::this_coro::executor);
  connection_state state(unopened);
  const bool draining = false;
  stream_collector collector{&channel};
  // The pieces are collected as written, without chunk framing; a declared length is still checked.
  const body_framing sent_framing = source.length ? body_framing::content_length : body_framing::until_close;
  const request_memory_lender keeps_request{nullptr, [](void*, std::string&) { return false; }};
  stream_sender sender(state, message, &collector, &stream_collector::collect, head, server_timeouts{}.write, draining,
                       sent_framing, declared_length, keeps_request);
  body_writer writer = stream_access::writer(sender);
  const body_source producing = std::move(answer.source);
  std::exception_ptr failure;
  try {
    co_await source.produce(source, writer);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    if (!sender.started()) {
      // Nothing has left: the client gets the error instead of the stream's head, as from the server.
      framing.body = body_framing::in_memory;
      const response replacement = response_from_exception(failure, message);
      head.clear();
      append_response_head(head, replacement, framing);
      read_written_head(head, replacement.status, channel.head);
      channel.head_ready = true;
      if (!framing.head_request) deliver_piece(channel, replacement.body);
      co_return;
    }
    if (channel.over_limit) co_return;
    std::string what = "a stream's producer failed after its head was sent, which closes the connection";
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& error) {
      what.append(": ").append(error.what());
    } catch (...) {
    }
    throw connection_error(client_errc::connection_closed, what);
  }
  if (const char* ended = co_await sender.finish(); ended != nullptr && !channel.over_limit) {
    throw connection_error(client_errc::connection_closed, std::string("the stream's body was cut short: ") + ended);
  }
  channel.head_ready = true;  // a stream that wrote nothing at all sent its head at the end
}

/// One request, from the client's side to the app and back into `channel`.
inline task<void> answer_test_request(dispatcher dispatch, test_client_settings settings, client_request outgoing,
                                      exchange_channel& channel) {
  const test_target target = split_test_url(outgoing.url);
  const std::optional<std::uint64_t> body_length = declared_body_length(outgoing);

  request_memory_loan loan(settings.limits, settings.remote);
  workspace& space = loan.memory->space;
  request& message = loan.memory->message;
  answer& reply = loan.memory->reply;
  space.clear_request();
  request_access::reset(message, &space);
  const std::string_view target_text = space.keep(target.target);
  add_request_fields(space, settings, outgoing, target, body_length);

  // The route's body settings, found from the head as the connection finds them.
  const route_body_settings* route = nullptr;
  if (dispatch.body_settings_for != nullptr) {
    if (const auto path = path_for_route_lookup(target_text))
      route = dispatch.body_settings_for(dispatch.target, outgoing.method, *path, space);
  }
  const bool route_limit = route != nullptr && route->max_bytes != 0;
  const std::size_t limit = route_limit ? route->max_bytes : settings.limits.max_body_bytes;
  const bool streamed = route != nullptr && route->streamed;

  // Filled before the body is read, so a refusal has a request to be framed for.
  const target_parts parts = split_target(target_text, space);
  request_access::fill(message, outgoing.method, to_string(outgoing.method), target_text, parts.path, parts.raw_path,
                       parts.query, {}, 1, 1, !asks_to_close(space.headers));
  request_access::set_body_limit(message, limit);

  bool must_close = false;
  gathered_body body;
  body.limit = limit;
  streamed_request_body streamed_body;
  streamed_body.body = &body;
  streamed_body.limit = limit;
  streamed_body.route_limit = route_limit;
  if (target_text == "*" && outgoing.method != method::options) {
    reply.value = problem(status::bad_request, "the target * is only for OPTIONS");
    must_close = true;
  } else if (body_length && *body_length > limit) {
    // Refused from its Content-Length, before the body is read.
    reply.value = problem(status::payload_too_large, request_parser::body_too_large(route_limit));
    must_close = true;
  } else {
    co_await gather_request_body(outgoing, body);
    if (body.over_limit && !streamed) {
      reply.value = problem(status::payload_too_large, request_parser::body_too_large(route_limit));
      must_close = true;
    } else {
      if (streamed) {
        request_access::set_body_reader(message, {&streamed_body, &streamed_request_body::next_piece});
      } else {
        space.body = body.joined();
        request_access::set_body(message, space.body);
      }
      start_answer(dispatch, message, reply, parts.path_decodes);
      if (reply.pending.valid()) co_await finish_answer(message, reply);
      // A streamed body the handler did not read to its end leaves the connection mid-request.
      must_close = streamed && !streamed_body.finished;
    }
  }

  response& answer = reply.value;
  const response_framing framing = framing_for(message, answer, must_close);
  body_source_state* source = answer.source ? body_source_access::state(answer.source) : nullptr;
  if (source == nullptr) {
    std::string head;
    append_response_head(head, answer, framing);
    read_written_head(head, answer.status, channel.head);
    channel.head_ready = true;
    if (!framing.head_request && !status_forbids_body(answer.status)) deliver_piece(channel, answer.body);
    co_return;
  }
  if (source->what == body_source_state::kind::file) {
    const auto& file = static_cast<const file_body_state&>(*source);
    response_framing file_framing = framing;
    file_framing.body = body_framing::content_length;
    std::string head;
    append_response_head(head, answer, file_framing, file.length);
    read_written_head(head, answer.status, channel.head);
    channel.head_ready = true;
    if (!framing.head_request && !status_forbids_body(answer.status)) co_await deliver_file(channel, file);
    co_return;
  }
  if (source->what == body_source_state::kind::stream) {
    co_await deliver_stream(channel, message, answer, static_cast<stream_body_state&>(*source), framing);
    co_return;
  }
  throw client_error(client_errc::invalid_request,
                     "the app switched protocols (101, a WebSocket), which needs a connection: the test client "
                     "cannot carry it; test this route with a server on a port and asyncrest::client");
}

/// Runs the exchange and records how it ended in the channel.
inline task<void> run_test_exchange(dispatcher dispatch, test_client_settings settings, client_request outgoing,
                                    exchange_channel& channel) {
  try {
    co_await answer_test_request(dispatch, std::move(settings), std::move(outgoing), channel);
  } catch (...) {
    channel.failure = std::current_exception();
  }
  channel.finished = true;
}

/// The error for a body past `max_body_bytes`, as the client words it.
[[noreturn]] inline void throw_response_too_large(std::size_t limit) {
  throw protocol_error(client_errc::response_too_large,
                       "the response body is larger than max_body_bytes (" + std::to_string(limit) + ")");
}

/// The error for an event loop that ran out of work before the exchange ended.
[[noreturn]] inline void throw_never_answered() {
  throw timeout_error(client_errc::read_timeout,
                      "the app stopped before its response was complete: a handler or producer waits for something "
                      "nothing on the test client's event loop will do");
}

/// The URL that answered, as the client reports it: the request's own when it is absolute,
/// otherwise its path under the settings' host.
inline std::string answered_url(const test_client_settings& settings, const std::string& url) {
  if (url.starts_with("http://") || url.starts_with("https://")) return url;
  return "http://" + settings.host + url;
}

/// The whole response out of a finished channel; throws what ended the exchange early.
inline client_response take_whole_response(exchange_channel& channel, const test_client_settings& settings,
                                           std::string url) {
  if (channel.over_limit) throw_response_too_large(settings.max_body_bytes);
  if (channel.failure) std::rethrow_exception(channel.failure);
  client_response whole = std::move(channel.head);
  whole.url = std::move(url);
  for (std::string& piece : channel.pieces) whole.body += piece;
  if (settings.raise_for_status) whole.raise_for_status();
  return whole;
}

}  // namespace asyncrest::detail

namespace asyncrest {

inline std::string_view test_response_stream::read_some() {
  piece_.clear();
  if (!context_) return piece_;
  detail::exchange_channel& channel = *channel_;
  while (channel.pieces.empty() && !channel.finished) {
    if (context_->run_one() == 0) detail::throw_never_answered();
  }
  if (!channel.pieces.empty()) {
    piece_ = std::move(channel.pieces.front());
    channel.pieces.pop_front();
    return piece_;
  }
  if (channel.failure) std::rethrow_exception(channel.failure);
  return piece_;
}

inline test_response_stream test_client::stream(client_request request) {
  std::string url = detail::answered_url(settings_, request.url);
  auto channel = std::make_unique<detail::exchange_channel>();
  auto context = std::make_unique<asio::io_context>(1);
  asio::co_spawn(*context, detail::run_test_exchange(dispatch_, settings_, std::move(request), *channel),
                 [](const std::exception_ptr&) {});
  while (!channel->head_ready && !channel->finished) {
    if (context->run_one() == 0) detail::throw_never_answered();
  }
  if (!channel->head_ready) {
    if (channel->failure) std::rethrow_exception(channel->failure);
    detail::throw_never_answered();
  }
  channel->head.url = std::move(url);
  return test_response_stream(std::move(channel), std::move(context));
}

inline client_response test_client::request(client_request request) {
  std::string url = detail::answered_url(settings_, request.url);
  detail::exchange_channel channel;
  channel.body_limit = settings_.max_body_bytes;
  {
    asio::io_context context(1);
    asio::co_spawn(context, detail::run_test_exchange(dispatch_, settings_, std::move(request), channel),
                   [](const std::exception_ptr&) {});
    while (!channel.finished) {
      if (context.run_one() == 0) detail::throw_never_answered();
    }
  }  // what the exchange spawned and left waiting (a stream's heartbeat) ends with its event loop
  return detail::take_whole_response(channel, settings_, std::move(url));
}

inline task<client_response> test_client::async_request(client_request request) {
  std::string url = detail::answered_url(settings_, request.url);
  detail::exchange_channel channel;
  channel.body_limit = settings_.max_body_bytes;
  co_await detail::run_test_exchange(dispatch_, settings_, std::move(request), channel);
  co_return detail::take_whole_response(channel, settings_, std::move(url));
}

}  // namespace asyncrest
