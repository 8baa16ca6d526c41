// Background jobs: a bounded queue, workers, ready-made routes and a shutdown that loses nothing.
//
//     ar::jobs queue{{.workers = 4, .capacity = 1000}, [](ar::job_context& job) -> ar::json_value {
//       return {{"length", job.json()["text"].get_string().value().size()}};   // runs on a CPU thread
//     }};
//     ar::app app{ar::routes(ar::job_routes<"/jobs">(queue))};
//     app.attach(queue);          // a graceful stop drains the queue too
//     app.run({.port = 8080});
//
// Routes made by job_routes<"/jobs">:
//   POST   /jobs            202, Location: /jobs/{id}, {"id": ..., "status": "queued"};
//                           503 + Retry-After when the queue is full or the server is stopping
//   GET    /jobs/{id}       200 with status, RFC 3339 times and the result or error;
//                           ?wait=5 waits up to that many seconds (capped at max_wait) for the
//                           job to end; a wait that is not a whole number >= 0 is 422
//   DELETE /jobs/{id}       cancels a queued job: 200 with its status; 409 once it runs or ran
//   unknown or malformed id 404
//
// Guarantees:
// - Memory stays bounded: at most `capacity` queued jobs, `workers` running ones and
//   `max_results` finished ones (each kept `result_ttl`).
// - A job that throws is `failed` with the exception's message; its worker carries on.
// - Ids are 128 bits from the kernel's CSPRNG (32 hex digits): they cannot be guessed.
// - On a graceful stop (`app.attach(queue)`, or `drain`) no new job is taken (503), running
//   jobs finish, queued jobs still run until the drain deadline. At the deadline queued jobs
//   are taken off the queue and running ones are asked to stop (a coroutine is cancelled, a CPU
//   function sees its stop token); every job that did not finish is handed to `on_unfinished`
//   with its id and input, so nothing is lost silently. A job that still returns a result keeps
//   it. A CPU function that ignores its stop token delays the end of the drain until it returns.
// - Jobs run off the server's threads: coroutine jobs on the queue's own event loop, plain
//   functions on its CPU thread pool. A long-poll suspends on a timer and holds no thread.
#pragma once

#include <asyncrest/core/json.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/jobs/backend.hpp>
#include <asyncrest/jobs/detail/ids.hpp>
#include <asyncrest/jobs/detail/memory_backend.hpp>
#include <asyncrest/jobs/detail/routes.hpp>
#include <asyncrest/jobs/job_messages.hpp>
#include <asyncrest/server/route.hpp>
#include <asyncrest/server/router.hpp>

#include <simdjson.h>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <concepts>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncrest {

/// What a drain left undone: the jobs that were queued at the deadline (never started) and the
/// ones interrupted while running. Persist them to submit them again after a restart.
struct drain_report {
  std::vector<unfinished_job> unfinished;

  [[nodiscard]] std::size_t count() const noexcept { return unfinished.size(); }
};

struct jobs_settings {
  /// Jobs run at the same time. A CPU-bound job function gets a thread pool of this size.
  std::size_t workers = 4;
  /// Queued jobs beyond which POST is answered 503 with Retry-After.
  std::size_t capacity = 1000;
  /// How long a finished job's result stays readable.
  std::chrono::steady_clock::duration result_ttl = std::chrono::minutes(10);
  /// Finished jobs kept at most; past it the oldest results go first.
  std::size_t max_results = 10000;
  /// A job running longer fails ("the job exceeded its time limit"); zero means no limit.
  std::chrono::steady_clock::duration time_limit = std::chrono::steady_clock::duration::zero();
  /// The longest long-poll `GET ...?wait=` may ask for.
  std::chrono::seconds max_wait = std::chrono::seconds(30);
  /// The Retry-After of a 503.
  std::chrono::seconds retry_after = std::chrono::seconds(1);
  /// The drain's length when the queue is destroyed without having been drained.
  std::chrono::steady_clock::duration drain_timeout = std::chrono::seconds(10);
  /// Called once, when a drain ends, with the jobs that did not finish (possibly none).
  std::function<void(const drain_report&)> on_unfinished{};
};

/// A snapshot of the queue's counters. `queued` and `running` are current numbers, the others
/// totals since the queue was made; the figures are read one by one, not as a single atomic view.
struct job_counters {
  std::uint64_t queued = 0;
  std::uint64_t running = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;
  std::uint64_t cancelled = 0;
  std::uint64_t rejected = 0;
  std::chrono::microseconds total_wait{0};  // from submission to start, summed over started jobs
  std::chrono::microseconds total_run{0};   // from start to end, summed over finished jobs
};

/// What a job function receives: the job's id and input, and whether it should stop early (its
/// time limit passed, or the drain deadline).
class job_context {
 public:
  job_context(std::string_view id, std::string_view input, std::stop_token stop) noexcept
      : id_(id), input_(input), stop_(std::move(stop)) {}
  job_context(const job_context&) = delete;
  job_context& operator=(const job_context&) = delete;

  [[nodiscard]] std::string_view id() const noexcept { return id_; }
  /// The input as JSON text (the POST body, or "null").
  [[nodiscard]] std::string_view input() const noexcept { return input_; }
  /// The input parsed; the document lives as long as this context.
  [[nodiscard]] simdjson::dom::element json() {
    auto parsed = parser_.parse(input_.data(), input_.size());
    if (parsed.error() != simdjson::SUCCESS) throw std::invalid_argument("the job's input is not valid JSON");
    return parsed.value_unsafe();
  }
  /// True once the job should give up: a long CPU function checks it now and then.
  [[nodiscard]] bool stop_requested() const noexcept { return stop_.stop_requested(); }
  [[nodiscard]] const std::stop_token& stop_token() const noexcept { return stop_; }

 private:
  std::string_view id_;
  std::string_view input_;
  std::stop_token stop_;
  simdjson::dom::parser parser_;
};

/// A job function that waits on I/O: a coroutine, run on the queue's own event loop.
template <class Work>
concept coroutine_job_function = std::invocable<const Work&, job_context&> &&
    std::same_as<std::invoke_result_t<const Work&, job_context&>, task<json_value>>;

/// A job function that computes: a plain function, run on the queue's CPU thread pool so that
/// no event loop blocks.
template <class Work>
concept blocking_job_function = std::invocable<const Work&, job_context&> &&
    std::same_as<std::invoke_result_t<const Work&, job_context&>, json_value>;

/// The result of `submit`: accepted with an id, or refused because the queue is full or closing.
struct job_submission {
  submit_result result = submit_result::accepted;
  std::string id;
};

/// A bounded queue of jobs run by `workers` workers, on threads of its own. Make it before the
/// app whose routes use it, so that it outlives the app.
class jobs {
 public:
  template <class Work>
  jobs(jobs_settings settings, Work work, std::unique_ptr<job_backend> backend = nullptr)
      : settings_(std::move(settings)), backend_(std::move(backend)) {
    static_assert(coroutine_job_function<Work> || blocking_job_function<Work>,
                  "asyncrest: a job function takes `asyncrest::job_context&` and returns either "
                  "asyncrest::task<asyncrest::json_value> (a coroutine, for I/O) or asyncrest::json_value "
                  "(a plain function, run on a CPU thread pool)");
    if (settings_.workers == 0) throw std::invalid_argument("asyncrest: a job queue needs at least one worker");
    if (!backend_) {
      backend_ =
          std::make_unique<detail::memory_job_backend>(settings_.capacity, settings_.result_ttl, settings_.max_results);
    }
    if constexpr (coroutine_job_function<Work>) {
      coroutine_work_ = std::move(work);
    } else {
      blocking_work_ = std::move(work);
      cpu_.emplace(settings_.workers);
    }
    start();
  }
  jobs(const jobs&) = delete;
  jobs& operator=(const jobs&) = delete;

  /// Drains (if that has not happened) for at most `drain_timeout`, then stops the threads.
  ~jobs() {
    if (!draining_.load()) begin_drain(std::chrono::steady_clock::now() + settings_.drain_timeout);
    (void)wait_drained();
    thread_.join();
    if (cpu_) cpu_->join();
  }

  /// Queues a job with `input`; safe from any thread's coroutine.
  task<job_submission> submit(const json_value& input) { return submit_checked_json(input.dump()); }
  /// Queues a job whose input is JSON text; std::invalid_argument when it is not valid JSON.
  task<job_submission> submit_json(std::string input) {
    simdjson::dom::parser parser;
    if (parser.parse(input).error() != simdjson::SUCCESS) {
      throw std::invalid_argument("asyncrest: a job's input must be valid JSON");
    }
    return submit_checked_json(std::move(input));
  }

  /// The job's status, or nothing for an unknown (or expired) id.
  task<std::optional<job_status>> status(std::string id) { return backend_->status(std::move(id)); }
  /// The job's status once it has finished, or after `wait`, or as soon as a drain begins.
  task<std::optional<job_status>> wait(std::string id, std::chrono::steady_clock::duration wait) {
    return backend_->wait(std::move(id), std::chrono::steady_clock::now() + wait);
  }
  /// Cancels a queued job.
  task<cancel_result> cancel(std::string id) {
    const cancel_result outcome = co_await backend_->cancel(std::move(id));
    if (outcome == cancel_result::cancelled) {
      queued_.fetch_sub(1, std::memory_order_relaxed);
      cancelled_.fetch_add(1, std::memory_order_relaxed);
    }
    co_return outcome;
  }

  [[nodiscard]] job_counters counters() const noexcept {
    job_counters snapshot;
    snapshot.queued = queued_.load(std::memory_order_relaxed);
    snapshot.running = running_count_.load(std::memory_order_relaxed);
    snapshot.succeeded = succeeded_.load(std::memory_order_relaxed);
    snapshot.failed = failed_.load(std::memory_order_relaxed);
    snapshot.cancelled = cancelled_.load(std::memory_order_relaxed);
    snapshot.rejected = rejected_.load(std::memory_order_relaxed);
    snapshot.total_wait = std::chrono::microseconds(total_wait_.load(std::memory_order_relaxed));
    snapshot.total_run = std::chrono::microseconds(total_run_.load(std::memory_order_relaxed));
    return snapshot;
  }

  [[nodiscard]] const jobs_settings& settings() const noexcept { return settings_; }
  /// True once a drain has begun: new jobs are refused.
  [[nodiscard]] bool closing() const noexcept { return draining_.load(std::memory_order_acquire); }

  /// Begins the drain: refuse new jobs, end every long-poll, keep running queued jobs until
  /// `deadline`. Safe from any thread; later calls do nothing. `app::attach` calls it when the
  /// server begins its graceful stop, with the server's drain deadline.
  void begin_drain(std::chrono::steady_clock::time_point deadline) {
    if (draining_.exchange(true, std::memory_order_acq_rel)) return;
    backend_->close();
    asio::post(context_, [this, deadline] { arm_drain_deadline(deadline); });
  }

  /// Blocks until the drain has ended, and returns what it left undone.
  drain_report wait_drained() {
    std::unique_lock lock(drain_mutex_);
    drained_signal_.wait(lock, [this] { return drained_; });
    return report_;
  }

  /// Drains for at most `timeout` and returns what was left undone.
  drain_report drain(std::chrono::steady_clock::duration timeout) {
    begin_drain(std::chrono::steady_clock::now() + timeout);
    return wait_drained();
  }

  /// For the routes: queues input already known to be valid JSON.
  task<job_submission> submit_checked_json(std::string input) {
    job_submission submission;
    submission.id = detail::random_job_id();
    // Counted as queued before a worker can take it, so that `queued` never dips below zero.
    queued_.fetch_add(1, std::memory_order_relaxed);
    if (closing()) {
      submission.result = submit_result::closed;
    } else {
      // A named object, not a braced temporary: g++ 12 may destroy a braced temporary passed to a
      // coroutine by value twice.
      job_assignment job{submission.id, std::move(input), std::chrono::system_clock::now()};
      submission.result = co_await backend_->submit(std::move(job));
    }
    if (submission.result != submit_result::accepted) {
      queued_.fetch_sub(1, std::memory_order_relaxed);
      rejected_.fetch_add(1, std::memory_order_relaxed);
      submission.id.clear();
    }
    co_return submission;
  }

 private:
  enum class stop_reason : std::uint8_t { none, time_limit, shutdown };

  /// A job while it runs; lives on the job thread.
  struct running_job {
    explicit running_job(asio::io_context& context) : limit(context) {}
    void stop(stop_reason why) {
      if (reason != stop_reason::none) return;
      reason = why;
      stop_source.request_stop();
      cancel.emit(asio::cancellation_type::terminal);
    }
    std::stop_source stop_source;
    asio::cancellation_signal cancel;
    asio::steady_timer limit;
    stop_reason reason = stop_reason::none;
  };

  void start() {
    live_workers_ = settings_.workers;
    for (std::size_t index = 0; index < settings_.workers; ++index) {
      asio::co_spawn(context_, work_loop(), [this](std::exception_ptr failure) {
        if (failure) {
          try {
            std::rethrow_exception(failure);
          } catch (const std::exception& error) {
            std::fprintf(stderr, "asyncrest: a job worker stopped: %s\n", error.what());
          } catch (...) {
            std::fputs("asyncrest: a job worker stopped\n", stderr);
          }
        }
        if (--live_workers_ == 0) end_drain();
      });
    }
    thread_ = std::thread([this] { context_.run(); });
  }

  task<void> work_loop() {
    for (;;) {
      std::optional<job_assignment> next = co_await backend_->next();
      if (!next) co_return;
      co_await run_one(std::move(*next));
    }
  }

  task<void> run_one(job_assignment job) {
    using namespace std::chrono;
    const auto started = system_clock::now();
    const auto started_steady = steady_clock::now();
    queued_.fetch_sub(1, std::memory_order_relaxed);
    running_count_.fetch_add(1, std::memory_order_relaxed);
    total_wait_.fetch_add(std::max<std::int64_t>(0, duration_cast<microseconds>(started - job.submitted_at).count()),
                          std::memory_order_relaxed);

    auto running = std::make_shared<running_job>(context_);
    running_.push_back(running);
    if (settings_.time_limit > steady_clock::duration::zero()) {
      running->limit.expires_after(settings_.time_limit);
      running->limit.async_wait([running](const asio::error_code& error) {
        if (!error) running->stop(stop_reason::time_limit);
      });
    }

    job_context context(job.id, job.input, running->stop_source.get_token());
    std::exception_ptr failure;
    json_value result;
    if (coroutine_work_) {
      auto [error, value] = co_await asio::co_spawn(
          context_, coroutine_work_(context),
          asio::bind_cancellation_slot(running->cancel.slot(), asio::experimental::as_tuple(asio::use_awaitable)));
      failure = error;
      result = std::move(value);
    } else {
      auto [error, value] = co_await asio::co_spawn(
          *cpu_, [this, &context]() -> task<json_value> { co_return blocking_work_(context); },
          asio::experimental::as_tuple(asio::use_awaitable));
      failure = error;
      result = std::move(value);
    }
    running->limit.cancel();
    std::erase(running_, running);

    bool succeeded = false;
    std::string outcome;
    if (running->reason == stop_reason::time_limit) {
      outcome = "the job exceeded its time limit";
    } else if (failure && running->reason == stop_reason::shutdown) {
      outcome = "interrupted by shutdown";
      interrupted_.push_back({job.id, job.input, true});
    } else if (failure) {
      outcome = describe(failure);
    } else {
      succeeded = true;
      outcome = result.dump();
    }
    // Counted before the store shows the end, so whoever sees the end sees it counted.
    running_count_.fetch_sub(1, std::memory_order_relaxed);
    (succeeded ? succeeded_ : failed_).fetch_add(1, std::memory_order_relaxed);
    total_run_.fetch_add(duration_cast<microseconds>(steady_clock::now() - started_steady).count(),
                         std::memory_order_relaxed);
    co_await backend_->finish(job.id, succeeded, std::move(outcome));
  }

  static std::string describe(const std::exception_ptr& failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& error) {
      return error.what();
    } catch (...) {
      return "the job failed";
    }
  }

  /// On the job thread: at the deadline, queued jobs come off the queue and running ones are
  /// asked to stop.
  void arm_drain_deadline(std::chrono::steady_clock::time_point deadline) {
    if (drain_ended_) return;
    drain_timer_.expires_at(deadline);
    drain_timer_.async_wait([this](const asio::error_code& error) {
      if (error) return;
      abandoned_ = backend_->take_queued();
      queued_.fetch_sub(abandoned_.size(), std::memory_order_relaxed);
      for (const auto& each : running_) each->stop(stop_reason::shutdown);
    });
  }

  /// On the job thread, when the last worker has ended: report, and let the thread finish.
  void end_drain() {
    drain_ended_ = true;
    drain_timer_.cancel();
    drain_report report;
    report.unfinished = std::move(abandoned_);
    report.unfinished.insert(report.unfinished.end(), interrupted_.begin(), interrupted_.end());
    if (settings_.on_unfinished) {
      try {
        settings_.on_unfinished(report);
      } catch (const std::exception& error) {
        std::fprintf(stderr, "asyncrest: the on_unfinished hook failed: %s\n", error.what());
      }
    }
    {
      std::lock_guard lock(drain_mutex_);
      report_ = std::move(report);
      drained_ = true;
    }
    drained_signal_.notify_all();
    keep_running_.reset();
  }

  jobs_settings settings_;
  std::unique_ptr<job_backend> backend_;
  std::function<task<json_value>(job_context&)> coroutine_work_;
  std::function<json_value(job_context&)> blocking_work_;

  std::atomic<std::uint64_t> queued_{0};
  std::atomic<std::uint64_t> running_count_{0};
  std::atomic<std::uint64_t> succeeded_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> cancelled_{0};
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::int64_t> total_wait_{0};
  std::atomic<std::int64_t> total_run_{0};

  std::atomic<bool> draining_{false};
  std::mutex drain_mutex_;
  std::condition_variable drained_signal_;
  bool drained_ = false;  // under drain_mutex_
  drain_report report_;   // under drain_mutex_

  // The job thread's: its event loop and what only it touches.
  asio::io_context context_{1};
  asio::executor_work_guard<asio::io_context::executor_type> keep_running_ = asio::make_work_guard(context_);
  asio::steady_timer drain_timer_{context_};
  std::vector<std::shared_ptr<running_job>> running_;
  std::vector<unfinished_job> abandoned_;
  std::vector<unfinished_job> interrupted_;
  std::size_t live_workers_ = 0;
  bool drain_ended_ = false;

  std::optional<asio::thread_pool> cpu_;
  std::thread thread_;
};

/// The routes of a job queue under `Prefix`: POST Prefix, GET and DELETE Prefix/{id}. Put them in
/// `routes(...)` among the app's own.
template <fixed_string Prefix>
[[nodiscard]] auto job_routes(jobs& queue) {
  static_assert(detail::is_plain_prefix<Prefix>(),
                "asyncrest: a job_routes prefix is a path such as \"/jobs\": it starts with '/', does not end "
                "with '/' and has no parameters");
  static constexpr auto item_path = detail::join_paths<Prefix, "/{id}">();
  return route_group(post<Prefix>(detail::submit_job_handler<jobs, Prefix>{&queue})
                         .summary("Submit a job")
                         .success_status(status::accepted),
                     get<item_path>(detail::job_status_handler<jobs>{&queue}).summary("A job's status"),
                     delete_<item_path>(detail::cancel_job_handler<jobs>{&queue}).summary("Cancel a queued job"));
}

}  // namespace asyncrest
