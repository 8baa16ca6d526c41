// The access log's writer thread and its bounded queue.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace asyncrest::detail {

/// Lines are appended to one buffer under the lock (a copy of the line's bytes, no allocation
/// once the buffer has grown), and the writer swaps it for its own and hands it to the sink
/// whole. The writer is woken when `wake_lines` lines wait, when asked to flush or stop, and
/// otherwise takes its turn every `interval`: waking it for each line would cost a busy server
/// a context switch per request.
template <class Sink>
class access_log_writer {
 public:
  access_log_writer(Sink sink, std::size_t most_queued, std::chrono::milliseconds interval)
      : sink_(std::move(sink)),
        most_queued_(most_queued),
        wake_lines_(std::clamp<std::size_t>(most_queued / 4, 1, 256)),
        interval_(interval) {
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

  /// Called by the server's threads: queues a copy of `line` (one whole line, ending in '\n'),
  /// or drops it when the queue is full.
  void push(std::string_view line) {
    bool wake = false;
    {
      const std::lock_guard hold(mutex_);
      if (queued_lines_ >= most_queued_) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      queued_.append(line);
      ++queued_lines_;
      wake = queued_lines_ == wake_lines_;
    }
    if (wake) work_.notify_one();
  }

  /// Returns once the lines queued before the call have been handed to the sink.
  void flush() {
    std::unique_lock hold(mutex_);
    const std::uint64_t target = taken_ + queued_lines_;
    if (handed_ >= target) return;
    flush_up_to_ = std::max(flush_up_to_, target);
    work_.notify_one();
    done_.wait(hold, [&] { return handed_ >= target; });
  }

  [[nodiscard]] std::uint64_t written() const noexcept { return written_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 private:
  void write_until_stopped() {
    std::string batch;
    std::unique_lock hold(mutex_);
    for (;;) {
      work_.wait_for(hold, interval_,
                     [&] { return stopping_ || flush_up_to_ > taken_ || queued_lines_ >= wake_lines_; });
      if (queued_lines_ == 0) {
        if (stopping_) return;  // everything written
        continue;
      }
      batch.swap(queued_);
      const std::size_t lines = queued_lines_;
      queued_lines_ = 0;
      taken_ += lines;
      hold.unlock();

      sink_.write(std::string_view(batch));
      written_.fetch_add(lines, std::memory_order_relaxed);
      batch.clear();  // keeps its capacity: the next swap gives it to the server's threads

      hold.lock();
      handed_ = taken_;
      done_.notify_all();
    }
  }

  Sink sink_;
  const std::size_t most_queued_;
  const std::size_t wake_lines_;
  const std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable work_;
  std::condition_variable done_;
  std::string queued_;             // whole lines, one after the other
  std::size_t queued_lines_ = 0;   // how many
  std::uint64_t taken_ = 0;        // lines the writer has taken from the queue
  std::uint64_t handed_ = 0;       // lines the sink has been given
  std::uint64_t flush_up_to_ = 0;  // the lines a flush waits for, counted as taken_ is
  bool stopping_ = false;
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::thread thread_;
};

}  // namespace asyncrest::detail
