// The in-memory job backend: one map of jobs, a FIFO of queued ids and a list of finished ids in
// the order they expire, all under one mutex.
#pragma once

#include <asyncrest/core/task.hpp>
#include <asyncrest/jobs/backend.hpp>
#include <asyncrest/jobs/detail/wakeup.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/this_coro.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace asyncrest::detail {

/// Why a mutex: the store is reached from every server thread and from the job thread, and a
/// job is a few map operations at each of its four events (submit, start, finish, read), not a
/// per-request cost. Nothing waits while holding it; waiting is done on timers, outside it.
class memory_job_backend final : public job_backend {
 public:
  using steady = std::chrono::steady_clock;

  memory_job_backend(std::size_t capacity, steady::duration result_ttl, std::size_t max_results)
      : capacity_(capacity), result_ttl_(result_ttl), max_results_(max_results) {}

  task<submit_result> submit(job_assignment job) override { co_return submit_now(std::move(job)); }

  task<std::optional<job_assignment>> next() override {
    const asio::any_io_executor executor = co_await asio::this_coro::executor;
    for (;;) {
      auto wake = std::make_shared<wakeup>(executor);
      waiter_registration registration{*this};
      {
        std::lock_guard lock(mutex_);
        if (!queue_.empty()) co_return take_front_locked();
        if (closed_) co_return std::nullopt;
        registration.key = ++last_key_;
        idle_workers_.push_back({registration.key, wake, executor});
      }
      co_await wake->wait_until(steady::time_point::max());
    }
  }

  task<void> finish(std::string id, bool succeeded, std::string result_or_error) override {
    finish_now(id, succeeded, std::move(result_or_error));
    co_return;
  }

  task<cancel_result> cancel(std::string id) override { co_return cancel_now(id); }

  task<std::optional<job_status>> status(std::string id) override { co_return status_now(id); }

  task<std::optional<job_status>> wait(std::string id, steady::time_point deadline) override {
    const asio::any_io_executor executor = co_await asio::this_coro::executor;
    auto wake = std::make_shared<wakeup>(executor);
    waiter_registration registration{*this};
    {
      std::lock_guard lock(mutex_);
      trim_locked(steady::now());
      const auto found = jobs_.find(id);
      if (found == jobs_.end()) co_return std::nullopt;
      if (closed_ || is_finished(found->second.status.state) || deadline <= steady::now()) {
        co_return found->second.status;
      }
      registration.key = ++last_key_;
      registration.job = id;
      found->second.waiters.push_back({registration.key, wake, executor});
    }
    co_await wake->wait_until(deadline);
    co_return status_now(id);
  }

  void close() override {
    std::lock_guard lock(mutex_);
    closed_ = true;
    wake_idle_workers_locked();
    for (auto& [id, held] : jobs_) wake_waiters_locked(held);
  }

  std::vector<unfinished_job> take_queued() override {
    std::lock_guard lock(mutex_);
    std::vector<unfinished_job> taken;
    taken.reserve(queue_.size());
    for (const std::string& id : queue_) {
      const auto found = jobs_.find(id);
      if (found == jobs_.end()) continue;
      wake_waiters_locked(found->second);
      taken.push_back({id, std::move(found->second.input), false});
      jobs_.erase(found);
    }
    queue_.clear();
    wake_idle_workers_locked();
    return taken;
  }

 private:
  struct waiter {
    std::uint64_t key = 0;
    std::weak_ptr<wakeup> target;
    asio::any_io_executor executor;
  };

  struct record {
    job_status status;
    std::string input;
    std::vector<waiter> waiters;
  };

  /// Removes a waiter from the lists when its coroutine ends, however it ends (a connection
  /// destroyed at a forced shutdown included), so that no one posts to an executor whose
  /// coroutine, and perhaps event loop, has gone.
  struct waiter_registration {
    explicit waiter_registration(memory_job_backend& owner) noexcept : backend(owner) {}
    waiter_registration(const waiter_registration&) = delete;
    waiter_registration& operator=(const waiter_registration&) = delete;
    ~waiter_registration() {
      if (key == 0) return;
      std::lock_guard lock(backend.mutex_);
      const auto matches = [this](const waiter& each) { return each.key == key; };
      if (job.empty()) {
        std::erase_if(backend.idle_workers_, matches);
      } else if (const auto found = backend.jobs_.find(job); found != backend.jobs_.end()) {
        std::erase_if(found->second.waiters, matches);
      }
    }
    memory_job_backend& backend;
    std::uint64_t key = 0;
    std::string job;  // empty for a job worker
  };

  submit_result submit_now(job_assignment job) {
    std::lock_guard lock(mutex_);
    trim_locked(steady::now());
    if (closed_) return submit_result::closed;
    if (queue_.size() >= capacity_) return submit_result::full;
    record fresh;
    fresh.status.id = job.id;
    fresh.status.state = job_state::queued;
    fresh.status.submitted_at = job.submitted_at;
    fresh.input = std::move(job.input);
    queue_.push_back(job.id);
    jobs_.insert_or_assign(std::move(job.id), std::move(fresh));
    if (!idle_workers_.empty()) {
      const waiter chosen = idle_workers_.back();
      idle_workers_.pop_back();
      wakeup::notify(chosen.target, chosen.executor);
    }
    return submit_result::accepted;
  }

  job_assignment take_front_locked() {
    std::string id = std::move(queue_.front());
    queue_.pop_front();
    record& taken = jobs_.at(id);
    taken.status.state = job_state::running;
    taken.status.started_at = std::chrono::system_clock::now();
    return {std::move(id), taken.input, taken.status.submitted_at};
  }

  void finish_now(const std::string& id, bool succeeded, std::string result_or_error) {
    std::lock_guard lock(mutex_);
    const auto found = jobs_.find(id);
    if (found == jobs_.end()) return;
    record& done = found->second;
    done.status.state = succeeded ? job_state::succeeded : job_state::failed;
    done.status.finished_at = std::chrono::system_clock::now();
    (succeeded ? done.status.result : done.status.error) = std::move(result_or_error);
    done.input.clear();
    done.input.shrink_to_fit();
    retire_locked(done);
  }

  cancel_result cancel_now(const std::string& id) {
    std::lock_guard lock(mutex_);
    trim_locked(steady::now());
    const auto found = jobs_.find(id);
    if (found == jobs_.end()) return cancel_result::not_found;
    record& target = found->second;
    if (target.status.state == job_state::running) return cancel_result::running;
    if (is_finished(target.status.state)) return cancel_result::finished;
    std::erase(queue_, id);
    target.status.state = job_state::cancelled;
    target.status.finished_at = std::chrono::system_clock::now();
    target.status.error = "cancelled before it started";
    target.input.clear();
    target.input.shrink_to_fit();
    retire_locked(target);
    return cancel_result::cancelled;
  }

  std::optional<job_status> status_now(const std::string& id) {
    std::lock_guard lock(mutex_);
    trim_locked(steady::now());
    const auto found = jobs_.find(id);
    if (found == jobs_.end()) return std::nullopt;
    return found->second.status;
  }

  /// A finished job joins the expiry list, whose order is that of the deadlines because every
  /// job lives the same time after it finishes; waiters learn of the end.
  void retire_locked(record& done) {
    const steady::time_point now = steady::now();
    expiry_.push_back({now + result_ttl_, done.status.id});
    wake_waiters_locked(done);
    trim_locked(now);
  }

  /// Drops the results past their time to live and, beyond `max_results`, the oldest ones:
  /// a look at the front of the expiry list, not a scan of the jobs.
  void trim_locked(steady::time_point now) {
    while (!expiry_.empty() && (expiry_.front().first <= now || expiry_.size() > max_results_)) {
      jobs_.erase(expiry_.front().second);
      expiry_.pop_front();
    }
  }

  void wake_waiters_locked(record& target) {
    for (const waiter& each : target.waiters) wakeup::notify(each.target, each.executor);
    target.waiters.clear();
  }

  void wake_idle_workers_locked() {
    for (const waiter& each : idle_workers_) wakeup::notify(each.target, each.executor);
    idle_workers_.clear();
  }

  const std::size_t capacity_;
  const steady::duration result_ttl_;
  const std::size_t max_results_;

  std::mutex mutex_;
  std::unordered_map<std::string, record> jobs_;
  std::deque<std::string> queue_;
  std::deque<std::pair<steady::time_point, std::string>> expiry_;
  std::vector<waiter> idle_workers_;
  std::uint64_t last_key_ = 0;
  bool closed_ = false;
};

}  // namespace asyncrest::detail
