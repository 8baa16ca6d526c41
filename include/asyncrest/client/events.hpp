// Server-Sent Events, read by the client: an event source that yields a text/event-stream
// response's events as they arrive and reconnects when the stream ends, as a browser's
// EventSource does.
//
//     ar::event_source prices = http.events("https://example.com/prices");
//     while (auto event = co_await prices.next()) {
//       std::cout << event->event << " " << event->id << ": " << event->data << "\n";
//     }
//
// - Reconnecting: when the server ends the stream or the connection breaks (or cannot be made),
//   the source waits the reconnection delay (`retry`, or what the server asked for with `retry:`,
//   at most `max_retry`) and connects again, sending Last-Event-ID with the last id it received,
//   so the server can resume after it. Attempts that fail in a row wait longer each time
//   (`backoff`, up to `max_retry`), and every wait is lengthened by a random part (`jitter`), so
//   that the clients of a server that restarts do not all come back in the same instant. Events in flight are not lost;
//   an event the server had not finished is dropped.
// - Stopping: a 204 No Content ends the source (`next()` returns no event). A status other than
//   200 fails with `http_status_error`, a Content-Type other than text/event-stream with
//   `protocol_error` (`client_errc::not_event_stream`), as does a line or an event longer than
//   `max_event_bytes`; a TLS failure is not retried either. After a failure the source is
//   closed.
// - Timeouts: connecting and the response's head use the client's timeouts; the stream itself has
//   no total limit, and between reads `idle_timeout` applies instead of the client's read
//   timeout, so a stream that is quiet by design is not cut (a server's heartbeats count as
//   reads). A stream silent for longer than `idle_timeout` counts as broken: reconnect.
// - Cancelling: `next()` honours the awaiting coroutine's cancellation slot (Asio per-operation
//   cancellation, as `co_await (source.next() || timer.async_wait(...))` uses): it throws
//   `client_error` (`client_errc::cancelled`) and the source is closed. `close()` ends a waiting
//   `next()` with no event.
//
// Threading: a source belongs to its client's executor, like the client's other calls.
#pragma once

#include <asyncrest/client/client.hpp>
#include <asyncrest/client/detail/event_parser.hpp>
#include <asyncrest/client/detail/exchange.hpp>
#include <asyncrest/client/error.hpp>
#include <asyncrest/client/response.hpp>
#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/cancellation_state.hpp>
#include <asio/co_spawn.hpp>
#include <asio/error.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/system_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace asyncrest {

/// One event, as the server sent it.
struct received_event {
  /// Its name: "message" unless the server named it.
  std::string event;
  /// The data lines, joined with LF.
  std::string data;
  /// The last id the stream set, at this event (it carries over to later events).
  std::string id;
};

struct event_source_settings {
  /// The wait before reconnecting, until the server sends its own with `retry:`.
  std::chrono::milliseconds retry{std::chrono::seconds(3)};
  /// The longest wait a server's `retry:` can ask for, and the longest wait of the backoff.
  std::chrono::milliseconds max_retry{std::chrono::minutes(1)};
  /// After the k-th failed attempt in a row (refused, broken before a stream opened, timed out),
  /// the wait is the delay times `backoff` to the power k-1, at most `max_retry`. 1: a fixed wait.
  double backoff = 2.0;
  /// Each wait is lengthened by a random part of up to `jitter` of it (the server's `retry:` is
  /// a least wait, never shortened). 0: exact waits.
  double jitter = 0.25;
  /// The longest silence of a connected stream before it counts as broken and is reconnected.
  /// Zero: none. A few of the server's heartbeat intervals notices a connection that died
  /// without a word.
  std::chrono::milliseconds idle_timeout{0};
  /// The longest line, and the longest data of one event, in bytes.
  std::size_t max_event_bytes = 1024 * 1024;
  /// Connection attempts in a row that may fail (refused, broken, timed out) before `next()`
  /// throws the last failure. Zero: retry forever.
  unsigned max_failed_attempts = 0;
};

namespace detail {
class event_source_state;

/// The wait before the next connection attempt: `delay` after a stream that opened, growing by
/// `backoff` with each of `failures` failed attempts in a row, at most `max_retry`, then
/// lengthened by `random_share` (in [0, 1)) of `jitter` of it.
[[nodiscard]] inline std::chrono::milliseconds reconnect_wait(std::chrono::milliseconds delay, unsigned failures,
                                                              const event_source_settings& settings,
                                                              double random_share) noexcept {
  double wait = static_cast<double>(delay.count());
  const double ceiling = static_cast<double>(std::max(settings.max_retry, delay).count());
  if (settings.backoff > 1.0) {
    for (unsigned failure = 1; failure < failures && wait < ceiling; ++failure) wait *= settings.backoff;
  }
  wait = std::min(wait, ceiling);
  wait *= 1.0 + std::clamp(settings.jitter, 0.0, 1.0) * std::clamp(random_share, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(wait));
}
}  // namespace detail

/// A stream of server-sent events that reconnects; made by `client::events`.
class event_source {
 public:
  event_source(event_source&&) noexcept = default;
  event_source& operator=(event_source&& other) noexcept {
    if (this != &other) {
      close();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  /// Closes the source; a `next()` still waiting returns no event.
  ~event_source() { close(); }

  /// The next event, once it has arrived (connecting or reconnecting as needed); no event once
  /// the source is closed or the server answered 204. One `next()` at a time.
  [[nodiscard]] task<std::optional<received_event>> next();
  /// Stops: drops the connection; a `next()` waiting returns no event, and so do later ones.
  void close() noexcept;

  /// The id of the last event received: what a reconnection sends as Last-Event-ID.
  [[nodiscard]] std::string_view last_event_id() const noexcept;
  /// The wait before the next reconnection.
  [[nodiscard]] std::chrono::milliseconds retry_delay() const noexcept;

 private:
  friend class client;
  explicit event_source(std::shared_ptr<detail::event_source_state> state) noexcept : state_(std::move(state)) {}
  std::shared_ptr<detail::event_source_state> state_;
};

}  // namespace asyncrest

// ---------------------------------------------------------------------------------------------
// Implementation.

namespace asyncrest::detail {

/// Whether `content_type` is text/event-stream, parameters aside.
[[nodiscard]] inline bool is_event_stream_type(std::string_view content_type) noexcept {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && (content_type.back() == ' ' || content_type.back() == '\t')) {
    content_type.remove_suffix(1);
  }
  while (!content_type.empty() && (content_type.front() == ' ' || content_type.front() == '\t')) {
    content_type.remove_prefix(1);
  }
  return iequals(content_type, "text/event-stream");
}

[[nodiscard]] inline bool is_cancellation(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const client_error& error) {
    return error.code() == client_errc::cancelled;
  } catch (const asio::system_error& error) {
    return error.code() == asio::error::operation_aborted;
  } catch (...) {
    return false;
  }
}

/// A source's state, shared by the handle and a `next()` in progress, so that either may end
/// first.
class event_source_state {
 public:
  event_source_state(std::shared_ptr<client_state> client, client_request request, event_source_settings settings)
      : client_(std::move(client)),
        request_(std::move(request)),
        settings_(settings),
        parser_(settings.max_event_bytes),
        retry_(std::min(settings.retry, settings.max_retry)) {
    if (const auto resume_from = request_.headers.get("Last-Event-ID")) parser_.set_last_event_id(*resume_from);
  }

  task<std::optional<received_event>> next(std::shared_ptr<event_source_state> self);

  void close() noexcept {
    if (closed_) return;
    closed_ = true;
    if (waiting_) {
      signal_.emit(asio::cancellation_type::terminal);  // the next() in progress ends, and drops the stream
    } else {
      stream_.reset();
    }
  }

  [[nodiscard]] std::string_view last_event_id() const noexcept { return parser_.last_event_id(); }
  [[nodiscard]] std::chrono::milliseconds retry_delay() const noexcept { return retry_; }

 private:
  received_event take() {
    received_event event = std::move(ready_.front());
    ready_.pop_front();
    return event;
  }

  task<void> fill_keeping_failure(std::exception_ptr& failure) {
    try {
      co_await fill();
    } catch (...) {
      failure = std::current_exception();
    }
  }

  /// Connects and reads until an event is ready, the source is closed, or a failure.
  task<void> fill() {
    while (ready_.empty() && !closed_) {
      if (!stream_) {
        co_await connect();
        continue;
      }
      std::string_view piece;
      bool lost = false;
      try {
        piece = co_await stream_->read_some();
      } catch (const connection_error&) {
        lost = true;
      } catch (const timeout_error&) {
        lost = true;  // silent for longer than idle_timeout
      }
      if (lost || piece.empty()) {  // broken, or ended by the server: reconnect after the delay
        stream_.reset();
        continue;
      }
      parser_.feed(piece, [this](std::string_view type, std::string_view data, std::string_view id) {
        ready_.push_back(received_event{std::string(type), std::string(data), std::string(id)});
      });
      if (const auto asked = parser_.take_retry()) retry_ = std::min(*asked, settings_.max_retry);
    }
  }

  task<void> connect() {
    if (attempted_) {
      std::uniform_real_distribution<double> share(0.0, 1.0);
      asio::steady_timer timer(client_->executor, reconnect_wait(retry_, failures_, settings_, share(client_->random)));
      asio::error_code error;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, error));
      if (error)
        throw client_error(client_errc::cancelled, "the event source was cancelled while waiting to reconnect");
      if (closed_) co_return;
    }
    attempted_ = true;
    client_request request = request_;
    if (!parser_.last_event_id().empty()) request.headers.set("Last-Event-ID", parser_.last_event_id());
    if (!request.headers.contains("Accept")) request.headers.set("Accept", "text/event-stream");
    if (!request.headers.contains("Cache-Control")) request.headers.set("Cache-Control", "no-cache");
    if (!request.timeout) request.timeout = std::chrono::milliseconds(0);  // a stream has no total limit

    std::unique_ptr<stream_exchange> exchange;
    std::exception_ptr failure;
    try {
      exchange = co_await open_stream(client_, std::move(request));
    } catch (const tls_error&) {
      throw;  // a certificate that is not trusted will not be trusted on the next attempt
    } catch (const connect_error&) {
      failure = std::current_exception();
    } catch (const connection_error&) {
      failure = std::current_exception();
    } catch (const timeout_error&) {
      failure = std::current_exception();
    }
    if (failure) {
      ++failures_;
      if (settings_.max_failed_attempts != 0 && failures_ >= settings_.max_failed_attempts) {
        std::rethrow_exception(failure);
      }
      co_return;  // the next attempt after the delay
    }
    response_stream opened(std::move(exchange));
    if (opened.status() == status::no_content) {  // the server says: do not reconnect
      closed_ = true;
      co_return;
    }
    if (opened.status() != status::ok) {
      throw http_status_error(opened.status(), "the event stream " + opened.head().url + " answered " +
                                                   std::to_string(to_number(opened.status())) +
                                                   ", not 200: the source is closed");
    }
    const auto content_type = opened.head().headers.get("Content-Type");
    if (!content_type || !is_event_stream_type(*content_type)) {
      throw protocol_error(client_errc::not_event_stream, "the response from " + opened.head().url +
                                                              " has Content-Type \"" +
                                                              std::string(content_type.value_or("")) +
                                                              "\", not text/event-stream: the source is closed");
    }
    failures_ = 0;
    opened.set_read_timeout(settings_.idle_timeout);
    parser_.begin();
    stream_.emplace(std::move(opened));
  }

  std::shared_ptr<client_state> client_;
  client_request request_;
  event_source_settings settings_;
  event_parser parser_;
  std::deque<received_event> ready_;
  std::optional<response_stream> stream_;
  std::exception_ptr deferred_failure_;  // a failure that came with events: thrown after them
  asio::cancellation_signal signal_;     // cancels the next() in progress: its caller's, or close()
  std::chrono::milliseconds retry_;
  unsigned failures_ = 0;
  bool attempted_ = false;  // a connection was tried: the next waits the delay first
  bool waiting_ = false;    // a next() is in progress
  bool closed_ = false;
};

inline task<std::optional<received_event>> event_source_state::next(std::shared_ptr<event_source_state> self) {
  if (!ready_.empty()) co_return take();
  if (deferred_failure_) std::rethrow_exception(std::exchange(deferred_failure_, nullptr));
  if (closed_) co_return std::nullopt;
  if (waiting_) throw std::logic_error("asyncrest: event_source::next() called while another next() of it waits");
  check_executor(*client_, co_await asio::this_coro::executor);

  // The reading runs in a coroutine of its own, with a cancellation slot that close() can reach;
  // the caller's cancellation is passed on to it.
  waiting_ = true;
  asio::cancellation_state caller = co_await asio::this_coro::cancellation_state;
  asio::cancellation_slot caller_slot = caller.slot();
  if (caller_slot.is_connected()) {
    caller_slot.assign([state = self.get()](asio::cancellation_type type) { state->signal_.emit(type); });
  }
  std::exception_ptr failure;
  co_await asio::co_spawn(client_->executor, fill_keeping_failure(failure),
                          asio::bind_cancellation_slot(signal_.slot(), asio::use_awaitable));
  if (caller_slot.is_connected()) caller_slot.clear();
  waiting_ = false;

  if (closed_) stream_.reset();
  if (failure && !closed_) {
    closed_ = true;
    stream_.reset();
    if (is_cancellation(failure)) {
      failure =
          std::make_exception_ptr(client_error(client_errc::cancelled, "the event source's next() was cancelled"));
    }
  } else if (failure) {
    failure = nullptr;  // closed by close(): its next() ends with no event
  }
  if (!ready_.empty()) {
    deferred_failure_ = failure;
    co_return take();
  }
  if (failure) std::rethrow_exception(failure);
  co_return std::nullopt;
}

}  // namespace asyncrest::detail

namespace asyncrest {

inline task<std::optional<received_event>> event_source::next() {
  if (!state_) throw std::logic_error("asyncrest: event_source::next() on a moved-from source");
  return state_->next(state_);
}

inline void event_source::close() noexcept {
  if (state_) state_->close();
}

inline std::string_view event_source::last_event_id() const noexcept {
  return state_ ? state_->last_event_id() : std::string_view();
}

inline std::chrono::milliseconds event_source::retry_delay() const noexcept {
  return state_ ? state_->retry_delay() : std::chrono::milliseconds(0);
}

inline event_source client::events(std::string url) { return events(std::move(url), event_source_settings()); }

inline event_source client::events(std::string url, event_source_settings settings) {
  return events(client_request(method::get, std::move(url)), settings);
}

inline event_source client::events(client_request request) {
  return events(std::move(request), event_source_settings());
}

inline event_source client::events(client_request request, event_source_settings settings) {
  return event_source(std::make_shared<detail::event_source_state>(state_, std::move(request), settings));
}

}  // namespace asyncrest
