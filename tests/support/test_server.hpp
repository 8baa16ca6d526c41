// Runs an app on 127.0.0.1 and an ephemeral port, on its own thread, for the length of a test.
#pragma once

#include <asyncrest/server/app.hpp>
#include <asyncrest/server/settings.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <utility>

namespace asyncrest::testing {

/// Settings for tests: loopback only, a port the kernel picks, no signal handling, one thread
/// unless a test asks for more, and timeouts short enough to test.
inline server_settings test_settings() {
  server_settings settings;
  settings.threads = 1;
  settings.timeouts.header = std::chrono::seconds(5);
  settings.timeouts.body_idle = std::chrono::seconds(5);
  settings.timeouts.keep_alive = std::chrono::seconds(5);
  settings.timeouts.write = std::chrono::seconds(5);
  settings.timeouts.drain = std::chrono::seconds(5);
  return settings;
}

/// `make` returns the app (apps cannot be moved, so they are made in place).
template <class Factory>
class test_server {
 public:
  using app_type = decltype(std::declval<Factory&>()());

  explicit test_server(Factory make, server_settings settings = test_settings()) : app_(new app_type(make())) {
    settings.host = "127.0.0.1";
    settings.port = 0;
    settings.handle_signals = false;
    port_ = app_->listen(settings);
    thread_ = std::thread([this] { app_->run(); });
  }
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;
  ~test_server() { stop(); }

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] app_type& app() noexcept { return *app_; }

  /// Graceful shutdown; returns when `run()` has returned.
  void stop() {
    if (!thread_.joinable()) return;
    app_->stop();
    thread_.join();
  }

 private:
  std::unique_ptr<app_type> app_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace asyncrest::testing
