// The server behind `app`: threads, listening sockets, connections and shutdown. It is not a
// template: it reaches the app's routes through one function pointer, so its code is compiled
// once per program, or once per build with ASYNCREST_SEPARATE_COMPILATION (see
// <asyncrest/src.hpp>). This header declares it; detail/impl/server_core.ipp defines it, and
// only that file includes the connection and worker machinery.
#pragma once

#include <asyncrest/core/detail/config.hpp>
#include <asyncrest/server/detail/dispatcher.hpp>
#include <asyncrest/server/settings.hpp>

#include <cstdint>
#include <functional>
#include <memory>

namespace asyncrest::detail {
inline namespace ASYNCREST_ASIO_BUILD {  // see detail/config.hpp

/// A service that stops with the server (a job queue, say): `begin` is called when the graceful
/// stop begins, with the drain deadline; `wait` after the last connection has closed and before
/// the shutdown hooks, and may block until the service has drained.
struct drain_participant {
  std::function<void(clock::time_point deadline)> begin;
  std::function<void()> wait;
};

class server_core {
 public:
  ASYNCREST_DECL explicit server_core(dispatcher dispatch);
  server_core(const server_core&) = delete;
  server_core& operator=(const server_core&) = delete;
  ASYNCREST_DECL ~server_core();

  /// Opens one listening socket per thread on the same port (SO_REUSEPORT, so the kernel spreads
  /// new connections over the threads) and returns the port.
  ASYNCREST_DECL std::uint16_t listen(const server_settings& settings);

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  /// Serves until stopped, then returns: `stop()`, SIGINT or SIGTERM start a graceful shutdown.
  ASYNCREST_DECL void run();

  /// Starts a graceful shutdown; safe from any thread, including a handler's.
  ASYNCREST_DECL void stop();

  ASYNCREST_DECL void on_shutdown(std::function<void()> hook);

  /// Call before `run()`.
  ASYNCREST_DECL void on_drain(drain_participant participant);

  /// Runs `listener` when a graceful stop begins, before the readiness grace; on the thread
  /// that runs `run()`. Call before `run()`.
  ASYNCREST_DECL void on_stop(std::function<void()> listener);

  /// Whether a graceful stop has begun (the readiness grace, then the drain); from any thread.
  [[nodiscard]] ASYNCREST_DECL bool stopping() const noexcept;

  /// Connections open now, and accepts that failed since the start; from any thread.
  ASYNCREST_DECL server_statistics statistics() const noexcept;

 private:
  struct state;  // the workers, hooks and control loop: defined with the implementation
  std::unique_ptr<state> state_;
  std::uint16_t port_ = 0;
};

}  // namespace ASYNCREST_ASIO_BUILD
}  // namespace asyncrest::detail

#if !defined(ASYNCREST_SEPARATE_COMPILATION)
#include <asyncrest/server/detail/impl/server_core.ipp>
#endif
