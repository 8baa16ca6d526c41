// Where background jobs are stored and queued: the interface an external store (Redis, say)
// implements so that many instances share one queue. `jobs` uses the in-memory backend unless
// it is given another.
#pragma once

#include <asyncrest/core/task.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asyncrest {

/// A job moves from queued to running to succeeded or failed; a queued job may be cancelled.
enum class job_state : std::uint8_t { queued, running, succeeded, failed, cancelled };

/// The name used on the wire: "queued", "running", "succeeded", "failed" or "cancelled".
[[nodiscard]] constexpr std::string_view to_string(job_state state) noexcept {
  switch (state) {
    case job_state::queued: return "queued";
    case job_state::running: return "running";
    case job_state::succeeded: return "succeeded";
    case job_state::failed: return "failed";
    case job_state::cancelled: return "cancelled";
  }
  return "unknown";
}

/// Whether a job in `state` will change no more.
[[nodiscard]] constexpr bool is_finished(job_state state) noexcept {
  return state == job_state::succeeded || state == job_state::failed || state == job_state::cancelled;
}

/// What is known of one job. Times are wall-clock (they are shown to clients).
struct job_status {
  std::string id;
  job_state state = job_state::queued;
  std::chrono::system_clock::time_point submitted_at{};
  std::optional<std::chrono::system_clock::time_point> started_at;
  std::optional<std::chrono::system_clock::time_point> finished_at;
  std::string result;  // the job's JSON result, when it succeeded
  std::string error;   // why it failed or was cancelled
};

/// A job a worker has taken: what it needs to run it.
struct job_assignment {
  std::string id;
  std::string input;  // JSON text
  std::chrono::system_clock::time_point submitted_at{};
};

/// A job that did not run to its end before shutdown: its id and input, so that the application
/// can persist it and submit it again later.
struct unfinished_job {
  std::string id;
  std::string input;         // JSON text
  bool was_running = false;  // interrupted at the drain deadline rather than never started
};

enum class submit_result : std::uint8_t { accepted, full, closed };
enum class cancel_result : std::uint8_t { cancelled, not_found, running, finished };

/// Storage and queue of jobs. Every operation may be called from any thread; the ones that may
/// wait (`next`, `wait`) or talk to a remote store return a `task`, so that no thread blocks.
/// An in-memory implementation answers at once (`detail::memory_job_backend`).
class job_backend {
 public:
  virtual ~job_backend() = default;

  /// Queues a new job, unless `capacity` jobs are already queued (`full`) or `close()` was
  /// called (`closed`).
  virtual task<submit_result> submit(job_assignment job) = 0;

  /// Waits for the oldest queued job, marks it running and returns it; returns nothing once the
  /// backend is closed and no job is queued (the worker then ends).
  virtual task<std::optional<job_assignment>> next() = 0;

  /// Records the end of a running job: its JSON result, or (when `succeeded` is false) an error.
  /// The result is kept for the configured time to live.
  virtual task<void> finish(std::string id, bool succeeded, std::string result_or_error) = 0;

  /// Cancels a queued job; a running or finished one is left as it is.
  virtual task<cancel_result> cancel(std::string id) = 0;

  /// The job's status, or nothing when no such job is kept.
  virtual task<std::optional<job_status>> status(std::string id) = 0;

  /// Like `status`, but first waits (without blocking a thread) until the job has finished,
  /// `deadline` passes or the backend is closed.
  virtual task<std::optional<job_status>> wait(std::string id, std::chrono::steady_clock::time_point deadline) = 0;

  /// Stops taking jobs, and ends every `wait` at once; queued jobs are still handed out.
  virtual void close() = 0;

  /// Removes every job still queued and returns them (the drain deadline has passed).
  virtual std::vector<unfinished_job> take_queued() = 0;
};

}  // namespace asyncrest
