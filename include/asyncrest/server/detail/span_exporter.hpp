// The tracing exporter: a thread of its own running an io_context, where a client posts the
// queued spans as OTLP/HTTP JSON in batches, by size and by time.
#pragma once

#include <asyncrest/client/client.hpp>
#include <asyncrest/core/detail/otlp_json.hpp>
#include <asyncrest/core/detail/span_record.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace asyncrest::detail {

struct span_exporter_settings {
  std::string traces_url;
  otlp_origin origin;
  std::size_t queue_spans = 2048;
  std::size_t batch_spans = 512;
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds shutdown_timeout{5000};
};

class span_exporter {
 public:
  explicit span_exporter(span_exporter_settings settings)
      : settings_(std::move(settings)),
        queue_(settings_.queue_spans, settings_.batch_spans, &wake, this),
        timer_(context_),
        work_(context_.get_executor()) {
    thread_ = std::thread([this] { run(); });
  }
  span_exporter(const span_exporter&) = delete;
  span_exporter& operator=(const span_exporter&) = delete;

  /// Sends what is queued (waiting at most `shutdown_timeout` for it), then stops the thread.
  ~span_exporter() {
    asio::post(context_, [this] {
      stopping_ = true;
      timer_.cancel();
    });
    {
      std::unique_lock hold(finished_mutex_);
      finished_cv_.wait_for(hold, settings_.shutdown_timeout, [this] { return finished_; });
    }
    context_.stop();  // whatever is still pending (a connection the pool closes) is abandoned
    thread_.join();
  }

  [[nodiscard]] span_queue& queue() noexcept { return queue_; }

  /// Returns once the spans queued before the call have been sent (or their batch failed),
  /// those of a batch the timer's turn has in flight included.
  void flush() { asio::co_spawn(context_, send_all(), asio::use_future).get(); }

  [[nodiscard]] std::uint64_t exported() const noexcept { return exported_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t failed_batches() const noexcept {
    return failed_batches_.load(std::memory_order_relaxed);
  }

 private:
  // Called by the queue, on a server thread, when a batch is full: the timer's wait ends early.
  static void wake(void* self) noexcept {
    auto* exporter = static_cast<span_exporter*>(self);
    try {
      asio::post(exporter->context_, [exporter] { exporter->timer_.cancel(); });
    } catch (...) {  // out of memory: the batch waits for the timer
    }
  }

  void run() {
    client_settings settings;
    settings.timeouts.total = settings_.shutdown_timeout;
    http_.emplace(context_.get_executor(), std::move(settings));
    asio::co_spawn(context_, export_until_stopped(), asio::detached);
    context_.run();
    http_.reset();
    const std::lock_guard hold(finished_mutex_);
    finished_ = true;
    finished_cv_.notify_all();
  }

  asio::awaitable<void> export_until_stopped() {
    while (!stopping_) {
      timer_.expires_after(settings_.interval);
      std::error_code ignored;
      co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      co_await send_queued();
    }
    co_await send_queued();  // a stop asked for before the loop's first turn skipped the loop
    http_.reset();
    work_.reset();
    {
      const std::lock_guard hold(finished_mutex_);
      finished_ = true;
    }
    finished_cv_.notify_all();
  }

  // Sends what is queued, then waits until no other send has a batch in flight.
  asio::awaitable<void> send_all() {
    co_await send_queued();
    while (sending_ > 0) {
      asio::steady_timer idle(context_, asio::steady_timer::time_point::max());
      idle_waiters_.push_back(&idle);
      std::error_code cancelled;
      co_await idle.async_wait(asio::redirect_error(asio::use_awaitable, cancelled));
    }
  }

  // Counts a send in flight; the last one to end wakes those waiting in send_all().
  struct sending_guard {
    explicit sending_guard(span_exporter& owner) noexcept : exporter(owner) { ++exporter.sending_; }
    sending_guard(const sending_guard&) = delete;
    sending_guard& operator=(const sending_guard&) = delete;
    ~sending_guard() {
      if (--exporter.sending_ != 0) return;
      for (asio::steady_timer* waiter : exporter.idle_waiters_) waiter->cancel();
      exporter.idle_waiters_.clear();
    }
    span_exporter& exporter;
  };

  // Sends batches until the queue is empty.
  asio::awaitable<void> send_queued() {
    const sending_guard counted(*this);
    for (;;) {
      std::vector<span_record> batch = queue_.take(settings_.batch_spans);
      if (batch.empty()) co_return;
      std::string body;
      body.reserve(batch.size() * expected_span_json_bytes);  // one allocation for the batch's JSON
      append_otlp_trace_request(body, settings_.origin, batch);
      client_request post{method::post, settings_.traces_url, {}, std::move(body)};
      post.headers.set("Content-Type", "application/json");
      auto answer = co_await http_->try_request(std::move(post));
      if (answer && to_number(answer.value().status) / 100 == 2) {
        exported_.fetch_add(batch.size(), std::memory_order_relaxed);
      } else {
        failed_batches_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  // A server span with its attributes, as JSON: about 1 KiB.
  static constexpr std::size_t expected_span_json_bytes = 1200;

  span_exporter_settings settings_;
  span_queue queue_;
  asio::io_context context_{1};
  asio::steady_timer timer_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::optional<client> http_;
  bool stopping_ = false;  // on the exporter's thread only, as the two below
  int sending_ = 0;
  std::vector<asio::steady_timer*> idle_waiters_;
  std::atomic<std::uint64_t> exported_{0};
  std::atomic<std::uint64_t> failed_batches_{0};
  std::mutex finished_mutex_;
  std::condition_variable finished_cv_;
  bool finished_ = false;
  std::thread thread_;
};

}  // namespace asyncrest::detail
