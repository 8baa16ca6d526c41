// The handlers behind job_routes<"/prefix">(queue): submit, status (with long-poll) and cancel.
#pragma once

#include <asyncrest/core/json.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/jobs/backend.hpp>
#include <asyncrest/jobs/detail/ids.hpp>
#include <asyncrest/server/detail/path_pattern.hpp>
#include <asyncrest/server/detail/route_prefix.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace asyncrest::detail {

/// The JSON body that describes a job.
inline std::string job_status_body(const job_status& job) {
  std::string body;
  json_writer out{body};
  out.begin_object();
  out.key("id");
  out.value(job.id);
  out.key("status");
  out.value(to_string(job.state));
  out.key("submitted_at");
  out.value(format_rfc3339(job.submitted_at));
  if (job.started_at) {
    out.key("started_at");
    out.value(format_rfc3339(*job.started_at));
  }
  if (job.finished_at) {
    out.key("finished_at");
    out.value(format_rfc3339(*job.finished_at));
  }
  if (job.state == job_state::succeeded) {
    out.key("result");
    out.raw(job.result.empty() ? std::string_view("null") : std::string_view(job.result));
  } else if (job.state == job_state::failed || job.state == job_state::cancelled) {
    out.key("error");
    out.value(job.error);
  }
  out.end_object();
  return body;
}

inline response busy_response(std::string_view detail, std::chrono::seconds retry_after) {
  response refusal = problem(status::service_unavailable, detail);
  refusal.headers.set("Retry-After", std::to_string(std::max<std::int64_t>(1, retry_after.count())));
  return refusal;
}

inline response unknown_job() { return problem(status::not_found, "no job has this id"); }

/// POST {prefix}: the body (JSON, or nothing for null) becomes a queued job.
template <class Queue, fixed_string Prefix>
struct submit_job_handler {
  Queue* queue;

  task<response> operator()(request& req) const {
    std::string input = "null";
    if (!req.body().empty()) {
      (void)req.json();  // invalid JSON is answered with 400 here
      input = std::string(req.body());
    }
    const auto submitted = co_await queue->submit_checked_json(std::move(input));
    if (submitted.result == submit_result::full) {
      co_return busy_response("the job queue is full", queue->settings().retry_after);
    }
    if (submitted.result == submit_result::closed) {
      co_return busy_response("the server is shutting down", queue->settings().retry_after);
    }
    std::string body;
    json_writer out{body};
    out.begin_object();
    out.key("id");
    out.value(submitted.id);
    out.key("status");
    out.value("queued");
    out.end_object();
    response accepted = raw_json(std::move(body), status::accepted);
    std::string location(Prefix.view());
    location.push_back('/');
    location.append(submitted.id);
    accepted.headers.set("Location", location);
    co_return accepted;
  }
};

/// GET {prefix}/{id}[?wait=seconds]: the job's status, after waiting for its end when asked.
template <class Queue>
struct job_status_handler {
  Queue* queue;

  task<response> operator()(request& req, std::string_view id) const {
    if (!is_job_id(id)) co_return unknown_job();
    std::chrono::seconds wait{0};
    if (const auto asked = req.query("wait")) {
      std::uint64_t seconds = 0;
      const char* const end = asked->data() + asked->size();
      const auto [stop, error] = std::from_chars(asked->data(), end, seconds);
      if (asked->empty() || error != std::errc{} || stop != end) {
        co_return problem(status::bad_request, "wait must be a whole number of seconds");
      }
      const auto cap = static_cast<std::uint64_t>(std::max<std::int64_t>(0, queue->settings().max_wait.count()));
      wait = std::chrono::seconds(static_cast<std::int64_t>(std::min(seconds, cap)));
    }
    std::optional<job_status> found;
    if (wait.count() > 0) {
      found = co_await queue->wait(std::string(id), wait);
    } else {
      found = co_await queue->status(std::string(id));
    }
    if (!found) co_return unknown_job();
    co_return raw_json(job_status_body(*found));
  }
};

/// DELETE {prefix}/{id}: cancels a queued job.
template <class Queue>
struct cancel_job_handler {
  Queue* queue;

  task<response> operator()(std::string_view id) const {
    if (!is_job_id(id)) co_return unknown_job();
    const std::string key(id);
    const cancel_result outcome = co_await queue->cancel(key);
    switch (outcome) {
      case cancel_result::not_found: co_return unknown_job();
      case cancel_result::running: co_return problem(status::conflict, "the job is running and cannot be cancelled");
      case cancel_result::finished: co_return problem(status::conflict, "the job has already finished");
      case cancel_result::cancelled: break;
    }
    const std::optional<job_status> found = co_await queue->status(key);
    if (!found) co_return empty(status::no_content);
    co_return raw_json(job_status_body(*found));
  }
};

}  // namespace asyncrest::detail
