// One server thread: its event loop, its listening socket, the connections it serves and the
// periodic sweep that enforces their deadlines. Nothing here is shared with other threads but
// the connection count.
#pragma once

#include <asyncrest/core/detail/request_scope.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/server/detail/dispatcher.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>
#include <asyncrest/server/settings.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/socket_base.hpp>
#include <asio/steady_timer.hpp>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace asyncrest::detail {

/// What all threads of one server share.
struct shared_state {
  server_settings settings;
  dispatcher dispatch;
  std::atomic<std::size_t> connections{0};
  // The server's asio::ssl::context when it speaks TLS; untyped, so that this struct is the same
  // in files built with and without OpenSSL.
  std::shared_ptr<void> tls_context;
};

/// Told when the server begins to drain, by something a connection runs that waits on more than
/// its socket (an event stream's heartbeat timer, behind which its producer may wait on anything).
/// Called on the connection's thread from the drain, which walks the connection list: `notify`
/// may only start things (cancel a timer), never resume a coroutine in place.
struct drain_listener {
  void (*notify)(drain_listener&) noexcept = nullptr;
};

/// What the sweep needs to know of a connection; the connection's coroutine owns it.
struct connection_state {
  enum class phase : std::uint8_t { idle, reading, handling, writing, streaming, taken_over, closing };
  enum class expiry : std::uint8_t { none, handshake, keep_alive, header, body, write, linger };

  // The socket lives in the connection coroutine's frame, as its parameter: holding it by
  // reference keeps a second 88-byte copy out of every idle connection.
  explicit connection_state(asio::ip::tcp::socket& accepted) noexcept : socket(accepted) {}

  void expire_at(clock::time_point when, expiry kind) noexcept {
    deadline = when;
    deadline_kind = kind;
    expired = expiry::none;
  }
  void no_deadline() noexcept { expire_at(clock::time_point::max(), expiry::none); }

  asio::ip::tcp::socket& socket;
  clock::time_point deadline = clock::time_point::max();
  expiry deadline_kind = expiry::none;
  expiry expired = expiry::none;  // set by the sweep when it cancels the connection's operation
  phase current = phase::idle;
  bool stop_requested = false;         // a taken-over connection's session is asked to end: the server drains
  drain_listener* on_drain = nullptr;  // set while a stream wants to hear of the drain
  connection_state* previous = nullptr;
  connection_state* next = nullptr;
};

class worker {
 public:
  explicit worker(shared_state& state) : shared(state) {}
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;
  ~worker() {
    // Destroys any connection coroutine still suspended while the list it unlinks from exists.
    finished = true;
    acceptor.reset();
    sweep_timer.reset();
    context.reset();
  }

  using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

  /// Binds and listens; `share_port` lets the other threads' sockets (and, if the settings ask,
  /// other processes) listen on the same port.
  void open(const asio::ip::tcp::endpoint& endpoint, int backlog, bool share_port) {
    acceptor->open(endpoint.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    if (share_port) acceptor->set_option(reuse_port(true));
    acceptor->bind(endpoint);
    acceptor->listen(backlog);
  }

  void add(connection_state& connection) noexcept {
    connection.next = first_;
    if (first_ != nullptr) first_->previous = &connection;
    first_ = &connection;
    ++connection_count;
  }

  void remove(connection_state& connection) noexcept {
    if (connection.previous != nullptr)
      connection.previous->next = connection.next;
    else
      first_ = connection.next;
    if (connection.next != nullptr) connection.next->previous = connection.previous;
    connection.previous = connection.next = nullptr;
    --connection_count;
    shared.connections.fetch_sub(1, std::memory_order_relaxed);
    if (draining && connection_count == 0) finish();
  }

  /// Stop accepting; close idle connections; the others close after their current response.
  void begin_drain() {
    if (draining) return;
    draining = true;
    drain_deadline = clock::now() + shared.settings.timeouts.drain;
    asio::error_code ignored;
    acceptor->close(ignored);
    for (connection_state* each = first_; each != nullptr; each = each->next) {
      if (each->current == connection_state::phase::idle) {
        each->socket.cancel(ignored);
      } else if (each->current == connection_state::phase::taken_over) {
        // Told to stop, and woken from a pending read; closed at the drain deadline if it has not
        // ended by then. (A stream's producer sees `stop_requested()` through `draining`.)
        each->stop_requested = true;
        each->socket.cancel(ignored);
      }
      // In any phase: a stream whose heartbeat is being written is "writing".
      if (each->on_drain != nullptr) each->on_drain->notify(*each->on_drain);
    }
    if (connection_count == 0) finish();
  }

  /// Closes every connection now: the drain deadline passed, or a second signal came.
  void force_close() {
    draining = true;
    asio::error_code ignored;
    acceptor->close(ignored);
    for (connection_state* each = first_; each != nullptr; each = each->next) each->socket.close(ignored);
    finish();
  }

  /// Called by the sweep: cancels the operation of every connection past its deadline.
  void enforce_deadlines(clock::time_point now) {
    if (draining && now >= drain_deadline) {
      force_close();
      return;
    }
    for (connection_state* each = first_; each != nullptr; each = each->next) {
      // Cancelled again at every sweep until the connection reacts: a cancel that found no
      // operation in progress must not let the connection outlive its deadline.
      if (each->deadline <= now) {
        each->expired = each->deadline_kind;
        asio::error_code ignored;
        each->socket.cancel(ignored);
      }
    }
  }

  /// Counts a failed accept (out of descriptors, most often) and logs it, at most one line every
  /// ten seconds per thread with the count since the last line.
  void note_accept_failure(const asio::error_code& error) {
    accept_failures.fetch_add(1, std::memory_order_relaxed);
    ++failures_unreported_;
    const clock::time_point now = clock::now();
    if (now < next_failure_report_) return;
    next_failure_report_ = now + std::chrono::seconds(10);
    std::string line = "asyncrest: cannot accept a connection: " + error.message() + " (" +
                       std::to_string(failures_unreported_) +
                       " failed accepts since the last report); connections already open go on, and "
                       "accepting is retried every 50 ms\n";
    failures_unreported_ = 0;
    std::fwrite(line.data(), 1, line.size(), stderr);  // one write, so threads do not interleave
  }

  void finish() {
    if (finished) return;
    finished = true;
    sweep_timer->cancel();
    context->stop();
  }

  /// A scope for a new connection of an app that asks for them. Scopes are reused, never freed
  /// while the worker lives: a coroutine a handler spawned may keep its request's executor after
  /// the connection ends, and then finds that its request's number has passed (no scope) rather
  /// than reading freed memory.
  request_scope* acquire_scope() {
    if (idle_scopes_.empty()) {
      all_scopes_.push_back(std::make_unique<request_scope>());
      return all_scopes_.back().get();
    }
    request_scope* scope = idle_scopes_.back();
    idle_scopes_.pop_back();
    return scope;
  }
  void release_scope(request_scope* scope) noexcept {
    scope->context = nullptr;
    try {
      idle_scopes_.push_back(scope);
    } catch (...) {  // out of memory: the scope stays in all_scopes_, unused
    }
  }

  shared_state& shared;
  /// Accepts that failed, since the start; read by other threads for statistics.
  std::atomic<std::uint64_t> accept_failures{0};
  std::size_t connection_count = 0;
  bool draining = false;
  bool finished = false;
  clock::time_point drain_deadline{};

 private:
  connection_state* first_ = nullptr;
  std::uint64_t failures_unreported_ = 0;
  clock::time_point next_failure_report_{};
  std::vector<std::unique_ptr<request_scope>> all_scopes_;
  std::vector<request_scope*> idle_scopes_;

 public:
  // Declared last so they are destroyed first, while the members above still exist.
  std::unique_ptr<asio::io_context> context = std::make_unique<asio::io_context>(ASIO_CONCURRENCY_HINT_UNSAFE_IO);
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor = std::make_unique<asio::ip::tcp::acceptor>(*context);
  std::unique_ptr<asio::steady_timer> sweep_timer = std::make_unique<asio::steady_timer>(*context);
};

}  // namespace asyncrest::detail
