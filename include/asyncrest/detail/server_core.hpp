// The server behind `app`: threads, listening sockets, connections and shutdown. It is not a
// template: it reaches the app's routes through one function pointer, so the connection loop is
// compiled once however many routes and middleware an app has.
#pragma once

#include <asyncrest/detail/connection.hpp>
#include <asyncrest/detail/worker.hpp>
#include <asyncrest/settings.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <exception>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace asyncrest::detail {

/// A service that stops with the server (a job queue, say): `begin` is called when the graceful
/// stop begins, with the drain deadline; `wait` after the last connection has closed and before
/// the shutdown hooks, and may block until the service has drained.
struct drain_participant {
  std::function<void(clock::time_point deadline)> begin;
  std::function<void()> wait;
};

class server_core {
 public:
  explicit server_core(dispatcher dispatch) noexcept { shared_.dispatch = dispatch; }
  server_core(const server_core&) = delete;
  server_core& operator=(const server_core&) = delete;
  ~server_core() {
    // Connections still suspended (after a forced stop) are destroyed with their worker's event
    // loop, before the rest of the worker.
    workers_.clear();
  }

  /// Opens one listening socket per thread on the same port (SO_REUSEPORT, so the kernel spreads
  /// new connections over the threads) and returns the port.
  std::uint16_t listen(const server_settings& settings) {
    if (!workers_.empty()) throw std::logic_error("asyncrest: the server is already listening");
    shared_.settings = settings;
    unsigned threads = settings.threads != 0 ? settings.threads : std::thread::hardware_concurrency();
    if (threads == 0) threads = 1;
    const asio::ip::address address = asio::ip::make_address(settings.host);
    std::uint16_t port = settings.port;
    for (unsigned index = 0; index < threads; ++index) {
      auto fresh = std::make_unique<worker>(shared_);
      fresh->open(asio::ip::tcp::endpoint(address, port), settings.backlog, threads > 1);
      port = fresh->acceptor->local_endpoint().port();
      workers_.push_back(std::move(fresh));
    }
    port_ = port;
    return port;
  }

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  /// Serves until stopped, then returns: `stop()`, SIGINT or SIGTERM start a graceful shutdown.
  void run() {
    if (workers_.empty()) throw std::logic_error("asyncrest: call listen() before run()");
    if (running_.exchange(true)) throw std::logic_error("asyncrest: run() was already called");

    asio::io_context control{1};
    auto keep_running = asio::make_work_guard(control);
    asio::signal_set signals(control);
    if (shared_.settings.handle_signals) {
      signals.add(SIGINT);
      signals.add(SIGTERM);
      wait_for_signal(signals, 0);
    }
    {
      std::lock_guard lock(control_mutex_);
      control_ = &control;
    }

    std::size_t running = workers_.size();
    const auto worker_finished = [&] {
      if (--running == 0) {
        signals.cancel();
        keep_running.reset();
      }
    };

    for (auto& each : workers_) start_worker(*each);
    std::vector<std::thread> threads;
    threads.reserve(workers_.size());
    for (auto& each : workers_) {
      threads.emplace_back([&control, &worker_finished, target = each.get()] {
        try {
          target->context->run();
        } catch (const std::exception& error) {
          std::cerr << "asyncrest: a server thread stopped: " << error.what() << '\n';
        }
        asio::post(control, worker_finished);
      });
    }
    if (stop_requested_.load()) begin_stop();
    control.run();
    for (auto& thread : threads) thread.join();
    {
      std::lock_guard lock(control_mutex_);
      control_ = nullptr;
    }
    if (!stopping_) begin_participants_drain();  // the threads ended without a stop
    for (auto& participant : drain_participants_) {
      try {
        participant.wait();
      } catch (const std::exception& error) {
        std::cerr << "asyncrest: a service failed to drain: " << error.what() << '\n';
      }
    }
    for (auto& hook : shutdown_hooks_) {
      try {
        hook();
      } catch (const std::exception& error) {
        std::cerr << "asyncrest: a shutdown hook failed: " << error.what() << '\n';
      }
    }
  }

  /// Starts a graceful shutdown; safe from any thread, including a handler's.
  void stop() {
    stop_requested_ = true;
    std::lock_guard lock(control_mutex_);
    if (control_ != nullptr) asio::post(*control_, [this] { begin_stop(); });
  }

  void on_shutdown(std::function<void()> hook) { shutdown_hooks_.push_back(std::move(hook)); }

  /// Call before `run()`.
  void on_drain(drain_participant participant) { drain_participants_.push_back(std::move(participant)); }

 private:
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

  void begin_stop() {
    if (stopping_) return;
    stopping_ = true;
    for (auto& each : workers_) asio::post(*each->context, [target = each.get()] { target->begin_drain(); });
    begin_participants_drain();
  }

  void begin_participants_drain() {
    const clock::time_point deadline = clock::now() + shared_.settings.timeouts.drain;
    for (auto& participant : drain_participants_) {
      try {
        participant.begin(deadline);
      } catch (const std::exception& error) {
        std::cerr << "asyncrest: a service failed to begin draining: " << error.what() << '\n';
      }
    }
  }

  void force_stop() {
    for (auto& each : workers_) asio::post(*each->context, [target = each.get()] { target->force_close(); });
  }

  shared_state shared_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<std::function<void()>> shutdown_hooks_;
  std::vector<drain_participant> drain_participants_;
  std::mutex control_mutex_;
  asio::io_context* control_ = nullptr;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> running_{false};
  bool stopping_ = false;  // touched on the control thread only
  std::uint16_t port_ = 0;
};

}  // namespace asyncrest::detail
