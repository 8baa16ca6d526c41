// The access log's writer thread and its bounded queue.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace asyncrest::detail {

template <class Sink>
class access_log_writer {
 public:
  access_log_writer(Sink sink, std::size_t most_queued) : sink_(std::move(sink)), most_queued_(most_queued) {
    queued_.reserve(most_queued_ < 1024 ? most_queued_ : 1024);
    thread_ = std::thread([this] { write_until_stopped(); });
  }
  access_log_writer(const access_log_writer&) = delete;
  access_log_writer& operator=(const access_log_writer&) = delete;

  /// Writes what is queued, then stops the thread.
  ~access_log_writer() {
    {
      const std::lock_guard hold(mutex_);
      stopping_ = true;
    }
    work_.notify_one();
    thread_.join();
  }

  /// Called by the server's threads: queues `line`, or drops it when the queue is full. Wakes
  /// the writer only when the queue was empty: a busy server's lines wait for its next turn.
  void push(std::string&& line) {
    bool was_empty = false;
    {
      const std::lock_guard hold(mutex_);
      if (queued_.size() >= most_queued_) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      was_empty = queued_.empty();
      queued_.push_back(std::move(line));
    }
    if (was_empty) work_.notify_one();
  }

  /// Returns once the lines queued before the call have been handed to the sink.
  void flush() {
    std::unique_lock hold(mutex_);
    const std::uint64_t target = pushed_total_locked();
    done_.wait(hold, [&] { return handed_ >= target; });
  }

  [[nodiscard]] std::uint64_t written() const noexcept { return written_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 private:
  // Lines taken by the writer so far plus those waiting, under the lock.
  [[nodiscard]] std::uint64_t pushed_total_locked() const noexcept { return taken_ + queued_.size(); }

  void write_until_stopped() {
    std::vector<std::string> batch;
    std::string joined;
    std::unique_lock hold(mutex_);
    for (;;) {
      work_.wait(hold, [&] { return stopping_ || !queued_.empty(); });
      if (queued_.empty()) return;  // stopping, and everything written
      batch.swap(queued_);
      taken_ += batch.size();
      hold.unlock();

      joined.clear();
      for (const std::string& line : batch) joined += line;
      sink_.write(std::string_view(joined));
      written_.fetch_add(batch.size(), std::memory_order_relaxed);
      batch.clear();

      hold.lock();
      handed_ = taken_;
      done_.notify_all();
    }
  }

  Sink sink_;
  const std::size_t most_queued_;
  std::mutex mutex_;
  std::condition_variable work_;
  std::condition_variable done_;
  std::vector<std::string> queued_;
  std::uint64_t taken_ = 0;   // lines the writer has taken from the queue
  std::uint64_t handed_ = 0;  // lines the sink has been given
  bool stopping_ = false;
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::thread thread_;
};

}  // namespace asyncrest::detail
