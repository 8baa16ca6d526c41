// The handlers behind job_routes<"/prefix">(queue): submit, status (with long-poll) and cancel.
#pragma once

#include <asyncrest/core/http_error.hpp>
#include <asyncrest/core/json.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/core/typed_json.hpp>
#include <asyncrest/jobs/backend.hpp>
#include <asyncrest/jobs/detail/ids.hpp>
#include <asyncrest/jobs/job_messages.hpp>
#include <asyncrest/server/detail/path_pattern.hpp>
#include <asyncrest/server/detail/route_prefix.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>
#include <asyncrest/server/typed_parameters.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace asyncrest::detail {

/// What the status routes answer about `job`. The result is kept as JSON text and read back
/// into a value here, so that the body is written by its type.
inline job_status_body describe_job(const job_status& job) {
  using std::chrono::floor;
  using std::chrono::milliseconds;
  job_status_body body;
  body.id = job.id;
  body.status = job.state;
  body.submitted_at = floor<milliseconds>(job.submitted_at);
  if (job.started_at) body.started_at = floor<milliseconds>(*job.started_at);
  if (job.finished_at) body.finished_at = floor<milliseconds>(*job.finished_at);
  if (job.state == job_state::succeeded) {
    json_read_result<json_value> result = read_json<json_value>(job.result.empty() ? "null" : job.result);
    body.result = result ? std::move(*result) : json_value{};
  } else if (job.state == job_state::failed || job.state == job_state::cancelled) {
    body.error = job.error;
  }
  return body;
}

inline response busy_response(std::string_view detail, std::chrono::seconds retry_after) {
  response refusal = problem(status::service_unavailable, detail);
  refusal.headers.set("Retry-After", std::to_string(std::max<std::int64_t>(1, retry_after.count())));
  return refusal;
}

inline response unknown_job() { return problem(status::not_found, "no job has this id"); }
inline http_error unknown_job_error() { return http_error(status::not_found, "no job has this id"); }

/// POST {prefix}: the body (JSON, or nothing for null) becomes a queued job.
///
/// It takes the request rather than a `json_body<T>`: a job's input is any JSON, kept as the
/// client's text (read as a value and written back it could change), an empty body is a null
/// input, and no Content-Type is required of it. It answers a `response` because a refusal
/// carries a Retry-After field.
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
    response accepted = raw_json(to_json(job_submitted_body{submitted.id, job_state::queued}), status::accepted);
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

  task<job_status_body> operator()(std::string_view id, query<job_status_query> asked) const {
    if (!is_job_id(id)) throw unknown_job_error();
    const std::chrono::seconds wait = std::min(std::chrono::seconds(asked->wait), queue->settings().max_wait);
    std::optional<job_status> found;
    if (wait.count() > 0) {
      found = co_await queue->wait(std::string(id), wait);
    } else {
      found = co_await queue->status(std::string(id));
    }
    if (!found) throw unknown_job_error();
    co_return describe_job(*found);
  }
};

/// DELETE {prefix}/{id}: cancels a queued job. It answers a `response`: a job whose status
/// expired between the cancel and the read is a 204 without a body.
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
    co_return raw_json(to_json(describe_job(*found)));
  }
};

}  // namespace asyncrest::detail
