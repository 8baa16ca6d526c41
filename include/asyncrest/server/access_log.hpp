// Access logs: one line per request, written by a thread of their own so that a slow disk or a
// full pipe never holds a request up.
//
//     ar::app app{routes, ar::request_ids{}, ar::access_log{}};                 // JSON lines on stdout
//     ar::access_log{{.format = ar::access_log_format::combined}}               // Apache/nginx "combined"
//     ar::access_log{{.minimum_level = ar::log_level::warning}}                 // 4xx and 5xx only
//     ar::access_log{{.sample = 0.01}}                                          // 1% of the 2xx/3xx lines
//     ar::access_log<my_sink>{settings, my_sink{logger}}                        // lines to your logger
//
// A JSON line (one object per line, keys in this order; absent values are left out):
//
//     {"time":"2026-12-07T14:41:39.123Z","level":"info","request_id":"4bf92f3577b34da6a3ce929d0e0e4736",
//      "method":"GET","route":"/users/{id}","path":"/users/42","status":200,"duration_ms":0.412,
//      "bytes_in":0,"bytes_out":17,"client":"127.0.0.1","user_agent":"curl/7.88.1",
//      "trace_id":"0af7651916cd43dd8448eb211c80319c"}
//
// - `level` follows the status: `error` for 5xx, `warning` for 4xx, `info` otherwise. Lines
//   under `minimum_level` are not written; `sample` keeps that fraction of the `info` lines,
//   while warnings and errors are always kept.
// - `request_id` is the `request_id` in the request's context (request_id.hpp: put
//   `request_ids{}` before this middleware); `trace_id` is the request span's (tracing.hpp: put
//   `tracing{}` before this middleware), else the one in a valid W3C `traceparent` field.
// - `route` is the template of the route that answered, absent when none did (a 404).
// - `path` is the path as the client sent it (percent-encoded, without the query, which may
//   carry secrets). `duration_ms` is measured from this middleware's turn to the response's,
//   before the body is sent. `bytes_out` is the body's size when it is in memory, absent for a
//   file or a stream, whose size the response does not hold.
//
// Lines are queued for the writer thread (at most `queue_lines`; beyond that they are dropped
// and counted in `statistics()`, so that a stuck sink costs memory up to a bound and never
// blocks a request). The queue's lock is held for a copy of one line's bytes. The writer takes
// its turn every `write_interval`, or sooner when many lines wait, and hands the sink every
// line queued since its last turn at once: a line reaches the sink up to `write_interval`
// after its request (`flush()` to have it now). Destroying the middleware (with its app) writes
// what is queued, then stops the thread.
#pragma once

#include <asyncrest/server/detail/access_log_line.hpp>
#include <asyncrest/server/detail/access_log_writer.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/request_id.hpp>
#include <asyncrest/server/response.hpp>

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace asyncrest {

enum class access_log_format {
  /// One JSON object per line (the default): what log collectors and container platforms parse.
  json_lines,
  /// The Apache and nginx "combined" format.
  combined,
};

enum class log_level { info, warning, error };

struct access_log_settings {
  access_log_format format = access_log_format::json_lines;
  /// Lines of a lower level are not written.
  log_level minimum_level = log_level::info;
  /// The fraction of `info` lines kept, from 0 to 1; warnings and errors are always kept.
  double sample = 1.0;
  /// Lines waiting for the writer; more are dropped (and counted).
  std::size_t queue_lines = 16384;
  /// How long a line may wait for the writer's turn; a quarter of `queue_lines` (at most 256)
  /// waiting wakes it sooner.
  std::chrono::milliseconds write_interval{100};
};

/// Where the lines go: `write` receives one or more whole lines, each ending in '\n', on the
/// writer thread (never on a server thread), so it may block.
template <class Sink>
concept access_log_sink = std::move_constructible<Sink> && requires(Sink& sink, std::string_view lines) {
  sink.write(lines);
};

/// Writes to a file descriptor: standard output by default. Retries short writes and EINTR;
/// gives up on the batch at another error (a closed pipe), which is then lost.
class descriptor_sink {
 public:
  explicit descriptor_sink(int descriptor = STDOUT_FILENO) noexcept : descriptor_(descriptor) {}
  void write(std::string_view lines) const noexcept {
    while (!lines.empty()) {
      const ::ssize_t written = ::write(descriptor_, lines.data(), lines.size());
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) return;
      lines.remove_prefix(static_cast<std::size_t>(written));
    }
  }

 private:
  int descriptor_;
};

/// What the log has done, since it was made.
struct access_log_statistics {
  std::uint64_t written = 0;  // lines handed to the sink
  std::uint64_t dropped = 0;  // lines the full queue refused
};

/// The middleware. Copies share one writer thread and queue.
template <access_log_sink Sink = descriptor_sink>
class access_log {
 public:
  explicit access_log(access_log_settings settings = {}, Sink sink = Sink{})
      : settings_(checked(settings)),
        writer_(std::make_shared<detail::access_log_writer<Sink>>(std::move(sink), settings.queue_lines,
                                                                  settings.write_interval)) {}

  std::optional<response> before(request& req) const {
    req.context().emplace<detail::access_log_start>(detail::access_log_start{std::chrono::steady_clock::now()});
    return std::nullopt;
  }

  void after(const request& req, response& res) const {
    const log_level level = level_of(res.status);
    if (level < settings_.minimum_level) return;
    if (level == log_level::info && settings_.sample < 1.0 && !detail::keep_sampled_line(settings_.sample)) return;
    detail::access_log_entry entry = detail::make_access_log_entry(req, res);
    entry.level = level == log_level::error ? "error" : level == log_level::warning ? "warning" : "info";
    thread_local std::string line;  // formatted here, copied into the queue: no allocation per line
    line.clear();
    if (settings_.format == access_log_format::json_lines) {
      detail::append_json_access_line(line, entry);
    } else {
      detail::append_combined_access_line(line, entry);
    }
    writer_->push(line);
  }

  [[nodiscard]] access_log_statistics statistics() const noexcept { return {writer_->written(), writer_->dropped()}; }

  /// Returns once every line queued so far has been handed to the sink.
  void flush() const { writer_->flush(); }

 private:
  static log_level level_of(status code) noexcept {
    const auto value = static_cast<unsigned>(code);
    return value >= 500 ? log_level::error : value >= 400 ? log_level::warning : log_level::info;
  }

  static access_log_settings checked(const access_log_settings& settings) {
    if (!(settings.sample >= 0.0 && settings.sample <= 1.0))
      throw std::invalid_argument("asyncrest: access_log_settings::sample is a fraction from 0 to 1");
    if (settings.queue_lines == 0) throw std::invalid_argument("asyncrest: access_log_settings::queue_lines is 0");
    if (settings.write_interval <= std::chrono::milliseconds::zero())
      throw std::invalid_argument("asyncrest: access_log_settings::write_interval must be positive");
    return settings;
  }

  access_log_settings settings_;
  std::shared_ptr<detail::access_log_writer<Sink>> writer_;
};

}  // namespace asyncrest
