// Helpers for the job tests: gates that job functions block on, an event log, and an app run on
// its own thread with a job queue attached.
#pragma once

#include <asyncrest/jobs/jobs.hpp>
#include <asyncrest/server/app.hpp>
#include <asyncrest/server/settings.hpp>

#include <simdjson.h>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace asyncrest::testing {

/// Closed until `open()`; `wait()` blocks until then. A generous bound turns a hang into a
/// failure instead of a stuck test; it is not a timing assertion.
class gate {
 public:
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    changed_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, std::chrono::seconds(30), [this] { return open_; })) {
      throw std::runtime_error("a gate stayed closed");
    }
  }
  /// Waits until open or `stop` is requested; true when opened.
  bool wait(const std::stop_token& stop) {
    std::unique_lock lock(mutex_);
    for (int round = 0; round < 3000 && !open_ && !stop.stop_requested(); ++round) {
      changed_.wait_for(lock, std::chrono::milliseconds(10));
    }
    return open_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
};

/// What happened, in order, across threads.
class event_log {
 public:
  void record(std::string event) {
    {
      std::lock_guard lock(mutex_);
      events_.push_back(std::move(event));
    }
    changed_.notify_all();
  }
  [[nodiscard]] std::vector<std::string> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  /// Blocks until `count` events have been recorded (bounded, see `gate`).
  void wait_for_count(std::size_t count) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, std::chrono::seconds(30), [&] { return events_.size() >= count; })) {
      throw std::runtime_error("the expected events did not happen");
    }
  }
  /// The position of `event`, or -1.
  [[nodiscard]] int position(std::string_view event) {
    std::lock_guard lock(mutex_);
    for (std::size_t index = 0; index < events_.size(); ++index) {
      if (events_[index] == event) return static_cast<int>(index);
    }
    return -1;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> events_;
};

/// Runs `app` (already attached to what it needs) on 127.0.0.1 on its own thread.
template <class App>
class app_runner {
 public:
  explicit app_runner(App& served, server_settings settings = test_settings()) : app_(served) {
    settings.host = "127.0.0.1";
    settings.port = 0;
    settings.handle_signals = false;
    port_ = app_.listen(settings);
    thread_ = std::thread([this] { app_.run(); });
  }
  app_runner(const app_runner&) = delete;
  app_runner& operator=(const app_runner&) = delete;
  ~app_runner() { stop(); }

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// Graceful stop; returns when `run()` has returned.
  void stop() {
    if (!thread_.joinable()) return;
    app_.stop();
    thread_.join();
  }
  /// Returns when `run()` has returned (someone else stopped the app).
  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  App& app_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

inline std::string post_request(std::string_view path, std::string_view body) {
  std::string bytes = "POST ";
  bytes.append(path).append(" HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: ");
  bytes.append(std::to_string(body.size())).append("\r\n\r\n").append(body);
  return bytes;
}

inline std::string delete_request(std::string_view target) {
  return "DELETE " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n\r\n";
}

/// A string member of a JSON body, or "" when missing.
inline std::string json_string(const std::string& body, const char* name) {
  simdjson::dom::parser parser;
  auto parsed = parser.parse(body);
  if (parsed.error() != simdjson::SUCCESS) return {};
  std::string_view value;
  if (parsed[name].get(value) != simdjson::SUCCESS) return {};
  return std::string(value);
}

/// Submits `body` with POST and returns the job id (empty when refused).
inline std::string submit_job(std::uint16_t port, std::string_view body, std::string_view prefix = "/jobs") {
  const http_reply reply = ::asyncrest::testing::exchange(port, post_request(prefix, body));
  if (reply.status != 202) return {};
  return json_string(reply.body, "id");
}

inline http_reply job_status(std::uint16_t port, const std::string& id, std::string_view query = "") {
  return ::asyncrest::testing::exchange(port, get_request("/jobs/" + id + std::string(query)));
}

}  // namespace asyncrest::testing
