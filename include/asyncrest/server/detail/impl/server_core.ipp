// The definitions behind detail/server_core.hpp. Included by that header (header-only builds) or
// by <asyncrest/src.hpp> (ASYNCREST_SEPARATE_COMPILATION); never on its own.
#pragma once

#include <asyncrest/server/detail/connection.hpp>
#include <asyncrest/server/detail/server_core.hpp>
#include <asyncrest/server/detail/tls_server.hpp>
#include <asyncrest/server/detail/worker.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace asyncrest::detail {

inline void report_server_failure(const char* what, const char* detail) {
  std::string line = std::string("asyncrest: ") + what + ": " + detail + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);  // one write, so threads do not interleave
}

inline namespace ASYNCREST_ASIO_BUILD {

/// Throws `address_in_use` when a socket already holds `endpoint`: a plain bind, with
/// SO_REUSEADDR as the listening sockets have it (so connections in TIME_WAIT do not count).
inline void check_port_is_free(const asio::ip::tcp::endpoint& endpoint) {
  const int probe = ::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) throw std::system_error(errno, std::system_category(), "asyncrest: socket");
  const int on = 1;
  ::setsockopt(probe, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  const int bound = ::bind(probe, endpoint.data(), static_cast<socklen_t>(endpoint.size()));
  const int error = errno;
  ::close(probe);
  if (bound != 0) throw std::system_error(asio::error_code(error, asio::error::get_system_category()));
}

struct server_core::state {
  shared_state shared;
  std::vector<std::unique_ptr<worker>> workers;
  std::vector<std::function<void()>> shutdown_hooks;
  std::vector<drain_participant> drain_participants;
  std::mutex control_mutex;
  asio::io_context* control = nullptr;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> running{false};
  std::atomic<bool> stop_began{false};  // read by any thread: readiness fails from then on
  bool stopping = false;                // touched on the control thread only
  bool participants_began = false;      // likewise
  std::vector<std::function<void()>> stop_listeners;
  std::unique_ptr<asio::steady_timer> grace;  // the readiness grace, on the control loop

  void wait_for_signal(asio::signal_set& signals, int seen) {
    signals.async_wait([this, &signals, seen](const asio::error_code& error, int) {
      if (error) return;
      if (seen == 0) {
        begin_stop();
        wait_for_signal(signals, 1);
      } else {
        force_stop();  // a second signal: the operator does not want to wait
      }
    });
  }

  /// Readiness fails at once; the drain follows after the readiness grace, during which the
  /// server accepts and serves as before, so that a load balancer stops sending before a client
  /// could find the port closed.
  void begin_stop() {
    if (stopping) return;
    stopping = true;
    stop_began.store(true, std::memory_order_release);
    for (auto& listener : stop_listeners) {
      try {
        listener();
      } catch (const std::exception& error) {
        report_server_failure("a stop listener failed", error.what());
      }
    }
    const auto grace_period = shared.settings.timeouts.readiness_grace;
    if (grace_period.count() > 0 && control != nullptr) {
      grace = std::make_unique<asio::steady_timer>(*control, grace_period);
      grace->async_wait([this](const asio::error_code& error) {
        if (!error) begin_drain();
      });
      return;
    }
    begin_drain();
  }

  void begin_drain() {
    for (auto& each : workers) asio::post(*each->context, [target = each.get()] { target->begin_drain(); });
    begin_participants_drain();
  }

  void begin_participants_drain() {
    if (participants_began) return;
    participants_began = true;
    const clock::time_point deadline = clock::now() + shared.settings.timeouts.drain;
    for (auto& participant : drain_participants) {
      try {
        participant.begin(deadline);
      } catch (const std::exception& error) {
        report_server_failure("a service failed to begin draining", error.what());
      }
    }
  }

  void force_stop() {
    if (grace) grace->cancel();  // no drain left to wait for
    for (auto& each : workers) asio::post(*each->context, [target = each.get()] { target->force_close(); });
  }
};

ASYNCREST_DECL server_core::server_core(dispatcher dispatch) : state_(std::make_unique<state>()) {
  state_->shared.dispatch = dispatch;
}

ASYNCREST_DECL server_core::~server_core() {
  // Connections still suspended (after a forced stop) are destroyed with their worker's event
  // loop, before the rest of the worker.
  state_->workers.clear();
}

/// sendfile(2) to a connection the client has closed raises SIGPIPE, whose default action ends
/// the process; socket writes avoid it with MSG_NOSIGNAL, sendfile cannot. A server ignores it,
/// as nginx, Node.js and Python do; a handler the program installed itself is left in place.
inline void ignore_broken_pipes() noexcept {
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL &&
      (current.sa_flags & SA_SIGINFO) == 0) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, nullptr);
  }
}

ASYNCREST_DECL std::uint16_t server_core::listen(const server_settings& settings) {
  auto& workers = state_->workers;
  if (!workers.empty()) throw std::logic_error("asyncrest: the server is already listening");
  if (!linked_llhttp_is_strict()) {
    throw std::runtime_error(
        "asyncrest: the llhttp linked into this program parses loosely (llhttp 8 or older built without "
        "LLHTTP_STRICT_MODE=1): it accepts malformed chunk sizes and field names that a proxy may read another "
        "way. Build llhttp with -DLLHTTP_STRICT_MODE=1, or use llhttp 9 or later.");
  }
  ignore_broken_pipes();
  if (settings.tls.enabled()) {
#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
    state_->shared.tls_context = make_server_tls_context(settings.tls);
#else
    throw std::runtime_error(
        "asyncrest: server_settings::tls is set, but this program was built without TLS: link asyncrest::tls "
        "(OpenSSL), or asyncrest::compiled built where OpenSSL was found");
#endif
  }
  state_->shared.settings = settings;
  unsigned threads = settings.threads != 0 ? settings.threads : std::thread::hardware_concurrency();
  if (threads == 0) threads = 1;
  const asio::ip::address address = asio::ip::make_address(settings.host);
  std::uint16_t port = settings.port;
  const bool share_port = threads > 1 || settings.share_port_with_other_processes;
  try {
    if (share_port && port != 0 && !settings.share_port_with_other_processes) {
      // SO_REUSEPORT would let this process join one already listening there: bind once without
      // it first, which fails with "address in use" if another socket holds the port. (A process
      // that starts in the moment between this check and the bind below can still join.)
      check_port_is_free(asio::ip::tcp::endpoint(address, port));
    }
    for (unsigned index = 0; index < threads; ++index) {
      auto fresh = std::make_unique<worker>(state_->shared);
      fresh->open(asio::ip::tcp::endpoint(address, port), settings.backlog, share_port);
      port = fresh->acceptor->local_endpoint().port();
      workers.push_back(std::move(fresh));
    }
  } catch (const std::system_error& error) {
    workers.clear();
    if (error.code() != asio::error::address_in_use) throw;
    throw std::system_error(error.code(), "asyncrest: cannot listen on " + settings.host + ":" +
                                              std::to_string(settings.port) +
                                              ": another socket holds it (server_settings::"
                                              "share_port_with_other_processes lets processes share a port)");
  }
  port_ = port;
  return port;
}

ASYNCREST_DECL void server_core::run() {
  state& self = *state_;
  if (self.workers.empty()) throw std::logic_error("asyncrest: call listen() before run()");
  if (self.running.exchange(true)) throw std::logic_error("asyncrest: run() was already called");

  asio::io_context control{1};
  auto keep_running = asio::make_work_guard(control);
  asio::signal_set signals(control);
  if (self.shared.settings.handle_signals) {
    signals.add(SIGINT);
    signals.add(SIGTERM);
    self.wait_for_signal(signals, 0);
  }
  {
    std::lock_guard lock(self.control_mutex);
    self.control = &control;
  }

  std::size_t running = self.workers.size();
  const auto worker_finished = [&] {
    if (--running == 0) {
      signals.cancel();
      if (self.grace) self.grace->cancel();
      keep_running.reset();
    }
  };

  for (auto& each : self.workers) start_worker(*each);
  std::vector<std::thread> threads;
  threads.reserve(self.workers.size());
  for (auto& each : self.workers) {
    threads.emplace_back([&control, &worker_finished, target = each.get()] {
      try {
        target->context->run();
      } catch (const std::exception& error) {
        report_server_failure("a server thread stopped", error.what());
      }
      asio::post(control, worker_finished);
    });
  }
  if (self.stop_requested.load()) self.begin_stop();
  control.run();
  for (auto& thread : threads) thread.join();
  {
    std::lock_guard lock(self.control_mutex);
    self.control = nullptr;
  }
  self.grace.reset();
  self.begin_participants_drain();  // when the threads ended without a drain (a forced stop, a failure)
  for (auto& participant : self.drain_participants) {
    try {
      participant.wait();
    } catch (const std::exception& error) {
      report_server_failure("a service failed to drain", error.what());
    }
  }
  for (auto& hook : self.shutdown_hooks) {
    try {
      hook();
    } catch (const std::exception& error) {
      report_server_failure("a shutdown hook failed", error.what());
    }
  }
}

ASYNCREST_DECL void server_core::stop() {
  state_->stop_requested = true;
  std::lock_guard lock(state_->control_mutex);
  if (state_->control != nullptr) asio::post(*state_->control, [self = state_.get()] { self->begin_stop(); });
}

ASYNCREST_DECL void server_core::on_shutdown(std::function<void()> hook) {
  state_->shutdown_hooks.push_back(std::move(hook));
}

ASYNCREST_DECL void server_core::on_drain(drain_participant participant) {
  state_->drain_participants.push_back(std::move(participant));
}

ASYNCREST_DECL void server_core::on_stop(std::function<void()> listener) {
  state_->stop_listeners.push_back(std::move(listener));
}

ASYNCREST_DECL bool server_core::stopping() const noexcept {
  return state_->stop_began.load(std::memory_order_acquire);
}

ASYNCREST_DECL server_statistics server_core::statistics() const noexcept {
  server_statistics current;
  current.open_connections = state_->shared.connections.load(std::memory_order_relaxed);
  for (const auto& each : state_->workers) {
    current.accept_failures += each->accept_failures.load(std::memory_order_relaxed);
  }
  return current;
}

}  // namespace ASYNCREST_ASIO_BUILD
}  // namespace asyncrest::detail
